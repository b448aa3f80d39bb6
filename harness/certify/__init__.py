"""Vendor self-certification: play We Are against a real LMS/LRS and report check by check."""
