"""The fake LMS: a spec-exact cmi5 LMS and xAPI LRS for testing We Are launches."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fake_lms.config import ApiKey, LMSConfig, MountSpec

if TYPE_CHECKING:
    from fake_lms.app import create_app

__all__ = ["ApiKey", "LMSConfig", "MountSpec", "create_app"]


def __getattr__(name: str) -> Any:
    """`create_app` loads the app (Flask, the store, the validators) when first asked for, so a
    light submodule such as `fake_lms.redact` does not pay for it."""
    if name == "create_app":
        from fake_lms.app import create_app

        return create_app
    raise AttributeError(f"module 'fake_lms' has no attribute {name!r}")
