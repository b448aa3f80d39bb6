"""Ralph's LRS on loopback with its file backend appending, for the bench: run by Ralph's Python.

`ralph runserver` starts uvicorn with its reloader, in a child process, and Ralph 5.1.0's file
backend writes each POST with the CREATE operation: the store file must not exist, so the
first write succeeds and every later one answers 500. This launcher changes that in this
process only, at runtime (Ralph's installed files stay as they are): a write without an explicit
operation appends to the store file, as a JSON-lines log should. Then it serves `ralph.api:app`
with uvicorn in this process, without the reloader. `--operation create` keeps Ralph's own
behaviour (the first write only), for tests that judge Ralph as it ships.

Configuration comes from the environment, as for `ralph runserver`: RALPH_APP_DIR (the auth
file written by `ralph auth`) and RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH.

    RALPH_APP_DIR=... .harness/ralph-venv/bin/python bench/ralph_launcher.py --port 8100
"""

from __future__ import annotations

import argparse
import os


def append_by_default() -> None:
    """FSLRSBackend.write appends unless its caller asks for another operation."""
    from ralph.backends.data.base import BaseOperationType
    from ralph.backends.lrs.fs import FSLRSBackend

    original = FSLRSBackend.write

    def write(
        self,
        data,
        target=None,
        chunk_size=None,
        ignore_errors=False,
        operation_type=None,
    ) -> int:
        operation = operation_type or BaseOperationType.APPEND
        return original(self, data, target, chunk_size, ignore_errors, operation)

    FSLRSBackend.write = write  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--operation", choices=("append", "create"), default="append")
    args = parser.parse_args()
    os.environ.setdefault("RALPH_RUNSERVER_BACKEND", "fs")
    if args.operation == "append":
        append_by_default()
    import uvicorn

    uvicorn.run("ralph.api:app", host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
