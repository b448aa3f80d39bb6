"""`weare-harness serve`: the fake LMS on waitress, durable in SQLite, until SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse
import base64
import os
import signal
import sys
from pathlib import Path

from fake_lms import ApiKey, LMSConfig, MountSpec, create_app
from fake_lms.config import (
    MODE_MEANING,
    MODES,
    TOKEN_READS,
    XAPI_VERSION_MEANING,
    XAPI_VERSIONS,
    ConfigError,
)
from fake_lms.content import create_content_app, set_content_origin
from fake_lms.db import Database
from fake_lms.mounts import apply_setting, credential_users, list_mounts
from fake_lms.private_files import make_folder
from fake_lms.quirks import QuirkError, check_names, check_xapi_version_agrees, xapi_version
from harness.cli.args import http_url, port
from harness.cli.commands import summary
from harness.errors import UsageError
from harness.listening import CONTENT_OFFSET
from harness.public_base import bracketed, exposure_warning, reachable_host
from harness.queue_log import explain_queue_depth
from harness.serve_companion import BackgroundServer, companion_port, start_companion
from harness.serve_server import ServerLimits, make_server, raise_fd_limit
from harness.serve_story import HostedStory, add_flags, register, story_port

MIB = 1024 * 1024
# serve's flags for the course package bounds (in MiB): flag, LMSConfig field (bytes), help.
_PACKAGE_FLAGS = (
    (
        "--package-max-mib",
        "package_max_bytes",
        "one imported course package, uncompressed, at most N MiB; beyond: 413",
    ),
    (
        "--package-store-mib",
        "package_store_bytes",
        "the files of all imported course packages in the store, at most N MiB; beyond: 507",
    ),
)
# serve's flags for ServerLimits fields beyond --threads: flag, field, type, metavar, help.
_LIMIT_FLAGS = (
    ("--connection-limit", "connection_limit", int, "N", "open connections before new ones wait"),
    (
        "--channel-timeout",
        "channel_timeout",
        float,
        "S",
        "seconds before an idle connection closes",
    ),
    ("--header-timeout", "header_timeout", float, "S", "seconds a request head may take; then 408"),
    (
        "--request-timeout",
        "request_timeout",
        float,
        "S",
        "seconds a whole request may take; then 408",
    ),
)


# What `--host` beyond loopback lets other machines reach (docs/explanation/security.md, "Network exposure").
EXPOSED = (
    "the dashboard, the admin and xAPI APIs (to anyone holding an API key or a launch's fetch "
    "URL) and the reference story (to anyone)"
)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("serve", help=summary("serve"))
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=port, default=8080, help="port, 0-65535 (0 picks a free one)")
    p.add_argument(
        "--public-url",
        type=http_url,
        metavar="URL",
        help="the base URL other machines reach the fake LMS by (a proxy, a tunnel, this "
        "machine's name): every URL it hands out (launch, xAPI endpoint, fetch, content) "
        "starts with it, whatever Host a request names; its host also names the reference "
        "story (default: http://HOST:PORT, with this machine's address for --host 0.0.0.0)",
    )
    p.add_argument("--db", default=".harness/lms.db", help="SQLite file")
    p.add_argument(
        "--api-key",
        action="append",
        default=[],
        metavar="USER:SECRET",
        help="server-wide credential, repeatable (default: one is generated and printed)",
    )
    p.add_argument(
        "--mount",
        action="append",
        default=[],
        metavar="NAME[=MODE][:USER:SECRET]",
        help="an extra LRS mount, with its own mode and credentials if given, repeatable",
    )
    p.add_argument(
        "--mode",
        choices=MODES,
        default="enforce",
        help="what a mount does with a cmi5 violation: refuse it (enforce, the default), accept "
        "and journal it (observe) or judge no cmi5 rule (plain); for the default mount and every "
        "--mount without =MODE",
    )
    p.add_argument(
        "--xapi-version",
        choices=XAPI_VERSIONS,
        default=None,
        help="the xAPI version the default mount and every --mount answer as, and the default for "
        "mounts created through the admin API: 1.0.3 (the default; 2.0.0 requests are served by "
        "the 2.0.0 rules) or 2.0.0 (a 2.0.0 LRS: 1.0.x requests are refused with 400)",
    )
    p.add_argument(
        "--quirk",
        action="append",
        default=[],
        metavar="NAME",
        help="behave like a broken LMS, repeatable (see `weare-harness quirks`)",
    )
    p.add_argument("--threads", type=int, default=4, help="worker threads")
    defaults = ServerLimits()
    for flag, name, kind, metavar, text in _LIMIT_FLAGS:
        default = getattr(defaults, name)
        p.add_argument(
            flag, type=kind, default=default, metavar=metavar, help=f"{text} (default {default:g})"
        )
    for flag, name, text in _PACKAGE_FLAGS:
        default = getattr(LMSConfig, name) // MIB
        p.add_argument(
            flag, type=int, default=default, metavar="N", help=f"{text} (default {default})"
        )
    p.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="origin (scheme://host[:port]) answered with Access-Control-Allow-Credentials, "
        "repeatable; any other origin gets Access-Control-Allow-Origin: * without credentials",
    )
    p.add_argument(
        "--content-port",
        type=int,
        default=None,
        metavar="PORT",
        help="port of imported course files, an origin of their own that the dashboard's session "
        "never opens (default: --port + 2, or a free one with --port 0; 0 picks a free one)",
    )
    add_flags(p)
    p.set_defaults(run=run)


def build_config(args: argparse.Namespace) -> LMSConfig:
    try:
        keys = [ApiKey.parse(k) for k in args.api_key]
        if not keys and os.environ.get("WEARE_HARNESS_API_KEY"):
            keys = [ApiKey.parse(os.environ["WEARE_HARNESS_API_KEY"], what="WEARE_HARNESS_API_KEY")]
        mounts = mount_specs(args.mount, args.mode)
        quirks = tuple(check_names(args.quirk))
        check_xapi_version_agrees(args.xapi_version, quirks, "--xapi-version")
        return LMSConfig(
            db_path=args.db,
            api_keys=keys,
            mounts=mounts,
            cors_origins=tuple(args.cors_origin),
            **{
                name: getattr(args, flag[2:].replace("-", "_")) * MIB
                for flag, name, _ in _PACKAGE_FLAGS
            },
            quirks=quirks,
            # the xapi-2-only quirk server-wide is an alias for --xapi-version 2.0.0
            xapi_version=args.xapi_version or xapi_version("1.0.3", quirks),
            public_url=args.public_url,
        )
    except (ConfigError, QuirkError) as exc:
        raise UsageError(str(exc)) from exc


def server_limits(args: argparse.Namespace) -> ServerLimits:
    """The server's limits from the flags; a usage error names a flag out of range."""
    given = {"--threads": ("threads", args.threads)}
    given.update({flag: (name, getattr(args, name)) for flag, name, *_ in _LIMIT_FLAGS})
    for flag, (_name, value) in given.items():
        if not value > 0:
            raise UsageError(f"{flag} must be greater than 0, got {value}")
    return ServerLimits(**dict(given.values()))


def mount_specs(texts: list[str], mode: str) -> list[MountSpec]:
    """The default mount and each --mount, in `mode` unless a spec names its own.

    `--mount default=observe` (or with credentials) configures the default mount itself."""
    specs = {"default": MountSpec("default", mode=mode)}
    given: set[str] = set()
    for text in texts:
        spec = MountSpec.parse(text, mode=mode)
        if spec.name in given:
            raise ConfigError(f"--mount {spec.name} is given twice")
        given.add(spec.name)
        specs[spec.name] = spec
    return list(specs.values())


def _quirk_list(server_wide: tuple[str, ...], own: tuple[str, ...]) -> str:
    named = [f"{q} (server-wide)" for q in server_wide]
    named += [q for q in own if q not in server_wide]
    return ", ".join(named) or "none"


def _user_list(db: Database, mount: str) -> str:
    users = [
        f"{user} (server-wide)" if wide else user for user, wide in credential_users(db, mount)
    ]
    return ", ".join(users) or "none"


def mount_lines(
    db: Database, config: LMSConfig, base: str, changed: dict[str, dict[str, str]]
) -> list[str]:
    """Banner lines for every mount the server answers: endpoint, mode, quirks, xAPI version,
    the users whose API key opens it (never a secret) and what an auth-token may read there.

    `changed` holds, per mount, the settings this start changed and what they were before."""
    configured = {spec.name for spec in config.mounts}
    lines: list[str] = []
    for mount in sorted(list_mounts(db), key=lambda m: (m.name not in configured, m.name)):
        origin = "" if mount.name in configured else ", kept in the store from an earlier run"
        lines.append(f"  xAPI endpoint (mount {mount.name!r}{origin}): {base}/xapi/{mount.name}/")
        before = changed.get(mount.name, {})
        was = f"; was {before['mode']} in this store" if "mode" in before else ""
        lines.append(f"    mode: {mount.mode} ({MODE_MEANING[mount.mode]}{was})")
        version = xapi_version(mount.xapi_version, {*config.quirks, *mount.quirks})
        why = [XAPI_VERSION_MEANING[version]]
        if version != mount.xapi_version:
            why.append("through the quirk xapi-2-only")
        if "xapi_version" in before:
            why.append(f"was {before['xapi_version']} in this store")
        lines.append(f"    quirks: {_quirk_list(config.quirks, mount.quirks)}")
        lines.append(f"    xAPI version: {version} ({'; '.join(why)})")
        lines.append(f"    credentials: {_user_list(db, mount.name)}")
        lines.append(f"    auth-tokens read: {TOKEN_READS[mount.mode]}")
    return lines


def apply_command_line(db: Database, config: LMSConfig) -> dict[str, dict[str, str]]:
    """Give each mount of the command line its mode and xAPI version, also when the store kept
    it from an earlier run; per mount, the settings that changed and their earlier values."""
    changed: dict[str, dict[str, str]] = {}
    for spec in config.mounts:
        wanted = {"mode": spec.mode, "xapi_version": config.mount_xapi_version(spec)}
        for setting, value in wanted.items():
            was = apply_setting(db, spec.name, setting, value)
            if was is not None:
                changed.setdefault(spec.name, {})[setting] = was
    return changed


def run(args: argparse.Namespace) -> int:
    config = build_config(args)
    limits = server_limits(args)
    story_at = None if args.no_story else story_port(args)
    content_at = companion_port(args.content_port, args.port, CONTENT_OFFSET, "--content-port", "")
    if args.db != ":memory:":
        try:
            make_folder(Path(args.db).parent)
        except OSError as exc:
            raise UsageError(f"cannot create the folder of --db {args.db!r}: {exc}") from exc
    try:
        app = create_app(config)
    except Exception as exc:  # a database that cannot be opened is an environment problem
        raise UsageError(f"cannot open the store {args.db!r}: {exc}") from exc
    explain_queue_depth(limits.threads)
    fd_warning = raise_fd_limit(limits)
    if fd_warning:
        print(f"warning: {fd_warning}", file=sys.stderr, flush=True)
    try:
        server = make_server(app, args.host, args.port, limits)
    except OSError as exc:
        raise UsageError(
            f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}"
        ) from exc
    public_host = reachable_host(args.host, args.public_url)
    if config.public_url is None:  # the address listened on, as other machines can open it
        config.public_url = f"http://{public_host}:{server.effective_port}"
    base = config.public_url.rstrip("/")
    content = start_companion(
        lambda: BackgroundServer(
            create_content_app(app), args.host, content_at, limits, public_host=public_host
        ),
        "course content",
        f"{args.host}:{content_at}",
        "--content-port",
        "",
        [server],
    ).start()
    set_content_origin(app, content.base_url)
    story = None
    if story_at is not None:
        story = start_companion(
            lambda: HostedStory(args.host, story_at, public_host),
            "the story",
            f"{args.host}:{story_at}",
            "--story-port",
            "--no-story",
            [server, content],
        )
    db = app.extensions["weare"].db
    changed = apply_command_line(db, config)
    listen = f"http://{bracketed(args.host)}:{server.effective_port}"
    print(f"weare-harness fake LMS listening on {listen}", flush=True)
    if base != listen:
        print(f"  public URL (every URL it hands out starts with it): {base}", flush=True)
    warning = exposure_warning(args.host, EXPOSED, base)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    print(f"  dashboard: {base}/", flush=True)
    print(
        f"  course content (imported packages, an origin of its own): {content.base_url}/content/",
        flush=True,
    )
    for line in mount_lines(db, config, base, changed):
        print(line, flush=True)
    if story is not None:
        info = register(app, base, story.start())
        print(f"  reference story (registered as an AU): {info['url']}", flush=True)
    for key in config.api_keys:
        print(f"  API key: {key}", flush=True)
    if config.api_keys:  # what We Are's integration settings take (its article's Steps 2-3)
        paste = base64.b64encode(str(config.api_keys[0]).encode()).decode()
        print(
            f"  in We Are: API URL {base}/xapi/{config.default_mount}/  API key {paste}",
            flush=True,
        )
    print(f"  store: {config.db_path}", flush=True)

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        server.run()
    except (SystemExit, KeyboardInterrupt):
        pass
    finally:
        server.close()
        content.close()
        if story is not None:
            story.close()
        app.extensions["weare"].close()
        print("weare-harness fake LMS stopped", file=sys.stderr, flush=True)
    return 0
