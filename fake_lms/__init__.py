"""The fake LMS: a spec-exact cmi5 LMS and xAPI LRS for testing We Are launches."""

from fake_lms.app import create_app
from fake_lms.config import ApiKey, LMSConfig, MountSpec

__all__ = ["ApiKey", "LMSConfig", "MountSpec", "create_app"]
