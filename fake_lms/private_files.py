"""The store is readable by its owner only: folders it makes 0700, its files 0600.

SQLite gives the -wal and -shm files the permissions of the store file, and the write lock file
(db._ProcessLock) does the same, so creating the store file 0600 before SQLite opens it keeps
every side file private too. A store of an earlier version, made 0644, is tightened when opened.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600
SIDE_FILES = ("-wal", "-shm", "-journal", "-writelock")


def make_folder(folder: Path) -> None:
    """Create `folder` and any missing parent, each 0700; folders that exist are left as they are."""
    missing: list[Path] = []
    at = folder
    while not at.exists() and at != at.parent:
        missing.append(at)
        at = at.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=FOLDER_MODE)
        except FileExistsError:
            continue  # (made meanwhile by another process)
        os.chmod(path, FOLDER_MODE)  # (mkdir's mode passes through the umask)


def make_store_file(path: Path) -> None:
    """Create the store file 0600 if it is missing; tighten it and its side files otherwise."""
    make_folder(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE))
    for name in ("", *SIDE_FILES):
        _tighten(Path(f"{path}{name}"))


def _tighten(path: Path) -> None:
    """Take group and other permissions off a file this user owns (others' files are left)."""
    try:
        info = path.stat()
        if info.st_uid == os.getuid() and info.st_mode & 0o077:
            os.chmod(path, info.st_mode & 0o700)
    except OSError:
        pass  # (missing, or not ours to change)
