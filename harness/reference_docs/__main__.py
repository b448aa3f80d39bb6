"""`python -m harness.reference_docs [PAGE]`: print a generated page (by default, list them)."""

from __future__ import annotations

import sys

from harness.reference_docs import PAGES


def main(argv: list[str]) -> int:
    if not argv:
        print("\n".join(PAGES))
        return 0
    render = PAGES.get(argv[0])
    if render is None:
        print(f"reference_docs: no page {argv[0]!r}; pages: {', '.join(PAGES)}", file=sys.stderr)
        return 2
    print(render())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
