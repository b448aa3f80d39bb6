"""weare-harness: the conformance test bench for We Are's LMS integration."""
