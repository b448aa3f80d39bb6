"""`weare-harness load`: many simulated We Are learners at once against an LMS, on Locust.

The CLI side (`harness/cli/load.py`, `config`) checks the target and the caps without importing
Locust; the load itself runs in `python -m harness.load.engine`, a process of its own, because
Locust's gevent monkey-patches the whole interpreter when imported.
"""
