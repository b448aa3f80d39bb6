"""The harness's own errors: one base, and the usage error every command raises.

`weare-harness` prints a UsageError as one line (`weare-harness COMMAND: reason`) and exits 2
(0 all good, 1 checks failed, 2 usage or environment error). This module imports nothing, so
any module can raise it without loading the CLI or anything heavy.
"""

from __future__ import annotations


class HarnessError(Exception):
    """Base of the errors the harness raises about its input, set-up or environment."""


class UsageError(HarnessError):
    """A usage or environment problem: printed as one line, exit code 2."""
