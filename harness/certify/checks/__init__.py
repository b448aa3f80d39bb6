"""certify's checks, one module per thing they judge; importing this package registers them all.

The modules are imported in the order a We Are launch meets what they check, which is the
order of `REGISTRY` and of the report (after blockers and warnings are brought forward).
"""

import importlib

from harness.certify.registry import REGISTRY

MODULES = ("launch", "fetch", "statements", "cmi5", "readback", "xapi", "browser")
for _module in MODULES:
    importlib.import_module(f"{__name__}.{_module}")

__all__ = ["MODULES", "REGISTRY"]
