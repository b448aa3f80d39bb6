"""Write harness/data/cmi5_requirement_ids.json from the `@cmi5/requirements` npm package.

certify recognises a cmi5 requirement id in an LMS's answer only when the catalogue lists it,
and must do so without node at run time: the package's ids (not its requirement texts) are
shipped as package data. Run after `make setup` (which installs the package into
tests/interop/node_modules) whenever the pinned version changes:

    python scripts/cmi5_requirement_ids.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "@cmi5/requirements"
PACKAGE_DIR = ROOT / "tests" / "interop" / "node_modules" / "@cmi5" / "requirements"
OUT = ROOT / "harness" / "data" / "cmi5_requirement_ids.json"


def catalogue(package_dir: Path = PACKAGE_DIR) -> dict[str, object]:
    """The shipped document: the package's name, version and ids, in the package's order."""
    meta = json.loads((package_dir / "package.json").read_text(encoding="utf-8"))
    requirements = json.loads((package_dir / meta["main"]).read_text(encoding="utf-8"))
    return {
        "description": (
            f"The requirement ids of the {PACKAGE} catalogue (npm), without their texts; "
            "written by scripts/cmi5_requirement_ids.py, read by harness/cmi5_requirements.py."
        ),
        "package": meta["name"],
        "version": meta["version"],
        "ids": list(requirements),
    }


def main() -> int:
    if not (PACKAGE_DIR / "package.json").is_file():
        print(f"{PACKAGE} is not installed in {PACKAGE_DIR.parent.parent} (run `make setup`)")
        return 2
    document = catalogue()
    OUT.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print(f"{OUT.relative_to(ROOT)}: {len(document['ids'])} ids of {PACKAGE} {document['version']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
