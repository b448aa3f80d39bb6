"""Launch URLs in each profile and in the broken shapes real LMSs send (cmi5 §8.1, the seed)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit, urlunsplit

ENCODINGS = ("percent", "plus")


class LaunchVariantError(ValueError):
    """A launch variant that cannot be built; the message names the field and what is allowed."""


@cache
def profiles() -> dict[str, dict[str, Any]]:
    """Launch profiles from `fake_lms/data/launch_profiles.json`, checked on first load."""
    raw: dict[str, dict[str, Any]] = json.loads(
        resources.files("fake_lms").joinpath("data/launch_profiles.json").read_text()
    )
    for name, spec in raw.items():
        params = spec.get("parameters")
        if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
            raise LaunchVariantError(f"launch profile {name!r}: 'parameters' must list names")
        if not set(spec.get("required", [])) <= set(params):
            raise LaunchVariantError(f"launch profile {name!r}: a required name is not a parameter")
    return raw


@dataclass(frozen=True)
class Variant:
    """How to shape one launch URL: which profile, what to leave out, replace or mis-encode."""

    profile: str = "cmi5"
    omit: tuple[str, ...] = ()
    overrides: dict[str, str] = field(default_factory=dict)
    encoding: str = "percent"  # "percent": space as %20; "plus": form encoding, space as +
    raw_actor: bool = False  # the actor JSON not URL-encoded at all
    amp_entities: bool = False  # pairs separated by "&amp;" (HTML-escaped URL pasted as is)
    order: tuple[str, ...] = ()  # these names first, in this order
    endpoint_trailing_slash: bool = True
    fetch_query: bool = False  # a fetch URL that carries its own query string

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Variant:
        """Build from admin-API JSON, naming the first field that is wrong."""
        known = {f for f in cls.__dataclass_fields__}
        unknown = sorted(set(data) - known)
        if unknown:
            raise LaunchVariantError(f"unknown launch option(s) {unknown}; known: {sorted(known)}")
        variant = cls(
            profile=str(data.get("profile", "cmi5")),
            omit=tuple(_names(data.get("omit", ()), "omit")),
            overrides=_overrides(data.get("overrides", {})),
            encoding=str(data.get("encoding", "percent")),
            raw_actor=_flag(data, "raw_actor"),
            amp_entities=_flag(data, "amp_entities"),
            order=tuple(_names(data.get("order", ()), "order")),
            endpoint_trailing_slash=_flag(data, "endpoint_trailing_slash", True),
            fetch_query=_flag(data, "fetch_query"),
        )
        variant.check()
        return variant

    def check(self) -> None:
        if self.profile not in profiles():
            raise LaunchVariantError(
                f"profile {self.profile!r} is not one of {', '.join(profiles())}"
            )
        if self.encoding not in ENCODINGS:
            raise LaunchVariantError(f"encoding {self.encoding!r} is not one of {ENCODINGS}")
        params = profiles()[self.profile]["parameters"]
        for name in (*self.omit, *self.order):
            if name not in params:
                raise LaunchVariantError(
                    f"{name!r} is not a launch parameter of profile {self.profile!r}: {params}"
                )

    def as_dict(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "omit": list(self.omit),
            "overrides": dict(self.overrides),
            "encoding": self.encoding,
            "raw_actor": self.raw_actor,
            "amp_entities": self.amp_entities,
            "order": list(self.order),
            "endpoint_trailing_slash": self.endpoint_trailing_slash,
            "fetch_query": self.fetch_query,
        }


def _flag(data: dict[str, Any], name: str, default: bool = False) -> bool:
    value = data.get(name, default)
    if not isinstance(value, bool):
        raise LaunchVariantError(f"launch option {name!r} must be true or false, got {value!r}")
    return value


def _names(value: Any, what: str) -> list[str]:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise LaunchVariantError(f"launch option {what!r} must be a list of parameter names")
    return list(value)


def _overrides(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise LaunchVariantError("launch option 'overrides' must map parameter names to strings")
    return dict(value)


def _encode(value: str, encoding: str) -> str:
    return quote_plus(value, safe="") if encoding == "plus" else quote(value, safe="")


def build_launch_url(au_url: str, values: dict[str, str], variant: Variant) -> str:
    """The AU URL with its own query kept first and the launch pairs merged in (13.1.4.0-3)."""
    spec = profiles()[variant.profile]
    merged = {**values, **variant.overrides}
    names = [n for n in spec["parameters"] if n not in variant.omit]
    names += [n for n in variant.overrides if n not in names]
    ordered = [n for n in variant.order if n in names] + [
        n for n in names if n not in variant.order
    ]
    pairs = []
    for name in ordered:
        if name not in merged:
            continue
        value = merged[name]
        if name == "actor" and variant.raw_actor:
            pairs.append(f"{name}={value}")
        else:
            pairs.append(f"{name}={_encode(value, variant.encoding)}")
    parts = urlsplit(au_url)
    separator = "&amp;" if variant.amp_entities else "&"
    query = separator.join(p for p in (parts.query, separator.join(pairs)) if p)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def query_names(url: str) -> list[str]:
    return [name for name, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)]
