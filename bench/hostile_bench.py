"""Worst-case bodies against `weare-harness serve`: server time per request for hostile 60 KB input.

Each shape is a body of about --size bytes (60 KB by default) built to make one part of the fake
LMS work hard: invalid batches, deep and wide nesting, long strings against the IRI/mbox/timestamp
patterns, many extensions, many statements with many errors, many multipart parts, surrogate
escapes, huge numbers, documents, query parameters. For each shape the bench sends it --repeat
times over loopback and reports the status, the CPU time the server process spent on it (all its
threads, from /proc/PID/task/*/schedstat: unaffected by other processes crowding the cores), the
server's own wall time (the journal's duration_ms) and the client's round trip. The goal: every
shape's median CPU time <= --goal-ms (50 ms).

Exit code 0 when every shape stays within the goal and no answer is a 5xx, 1 otherwise. Linux only.
    .venv/bin/python bench/hostile_bench.py [--size 60000] [--repeat 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import http.client
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.serve_process import ServeProcess

ACTOR = {"objectType": "Agent", "account": {"homePage": "https://lms.example.com", "name": "1"}}
VERB = {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}}
ACTIVITY = "https://weare.example.com/stories/42"
AGENT_PARAM = json.dumps({"mbox": "mailto:bench@example.com"})


@dataclass
class Shape:
    """One hostile request: what it stresses and how to send it."""

    name: str
    method: str
    path: str
    body: bytes = b""
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    fresh: bool = False  # needs a new document id per send (PUT with If-None-Match)


def stmt(**overrides: object) -> dict:
    s: dict = {"actor": ACTOR, "verb": VERB, "object": {"id": ACTIVITY}}
    s.update(overrides)
    return s


def fill(unit: str, size: int, sep: str = ",") -> str:
    """`unit` repeated with `sep` to about `size` characters."""
    return sep.join([unit] * max(1, size // (len(unit) + len(sep))))


def with_extension(value_text: str) -> str:
    s = json.dumps(stmt(context={"extensions": {"https://x.example/e": "HOLE"}}))
    return s.replace('"HOLE"', value_text)


def json_post(name: str, text: str, path: str = "statements", **params: str) -> Shape:
    return Shape(name, "POST", path, text.encode(), params, {"Content-Type": "application/json"})


def shapes(size: int) -> list[Shape]:
    n = size
    out = [
        json_post("invalid batch [1,1,...] (over the cap)", "[" + fill("1", n) + "]"),
        json_post("invalid batch of 10,000 [1,1,...]", "[" + ",".join(["1"] * 10_000) + "]"),
        json_post("invalid batch [{},{},...]", "[" + fill("{}", n) + "]"),
        json_post("invalid batch [null,...]", "[" + fill("null", n) + "]"),
        json_post("deep arrays [[[...]]]", "[" * (n // 2) + "]" * (n // 2)),
        json_post("deep objects {a:{a:...}}", '{"a":' * (n // 6) + "1" + "}" * (n // 6)),
        json_post(
            "depth 64 repeated (scanner worst case)",
            with_extension("[" + fill("[" * 60 + "]" * 60, n - 300) + "]"),
        ),
        json_post(
            "wide object in an extension",
            with_extension("{" + ",".join(f'"k{i}":{i}' for i in range(n // 12)) + "}"),
        ),
        json_post(
            "wide object, every key twice",
            with_extension("{" + ",".join(f'"k{i}":1,"k{i}":2' for i in range(n // 20)) + "}"),
        ),
        json_post(
            "statement with many unknown keys",
            json.dumps(stmt(**{f"unknownKey{i}": i for i in range(n // 23)})),
        ),
        json_post(
            "long string in an extension",
            with_extension(json.dumps("x" * (n - 200))),
        ),
        json_post("long verb IRI", json.dumps(stmt(verb={"id": "http://" + "a" * (n - 100)}))),
        json_post(
            "long verb IRI with a trailing space",
            json.dumps(stmt(verb={"id": "http://" + "a/" * ((n - 100) // 2) + " "})),
        ),
        json_post("long non-IRI verb id", json.dumps(stmt(verb={"id": "a" * (n - 100)}))),
        json_post(
            "long mbox",
            json.dumps(stmt(actor={"mbox": "mailto:" + "a" * (n - 100) + "@"})),
        ),
        json_post(
            "long mbox of dots",
            json.dumps(stmt(actor={"mbox": "mailto:a@" + "a." * ((n - 100) // 2) + "-"})),
        ),
        json_post(
            "long timestamp", json.dumps(stmt(timestamp="2024-01-01T00:00:00." + "1" * (n - 100)))
        ),
        json_post("long bad timestamp", json.dumps(stmt(timestamp="2024" + "-01" * (n // 3 - 40)))),
        json_post(
            "long duration",
            json.dumps(stmt(result={"duration": "P" + "1" * (n - 100) + "Y"})),
        ),
        json_post(
            "long bad duration",
            json.dumps(stmt(result={"duration": "PT" + "1." * ((n - 100) // 2)})),
        ),
        json_post(
            "long language tag",
            json.dumps(
                stmt(
                    verb={"id": VERB["id"], "display": {"en-" + "a1b2c3d4-" * (n // 10 - 20): "x"}}
                )
            ),
        ),
        json_post("long uuid-ish id", json.dumps(stmt(id="0" * (n - 200)))),
        json_post(
            "many extensions",
            json.dumps(
                stmt(
                    context={"extensions": {f"https://x.example/e/{i}": i for i in range(n // 30)}}
                )
            ),
        ),
        json_post(
            "many extensions with bad IRI keys",
            json.dumps(stmt(context={"extensions": {f"bad key {i}": i for i in range(n // 21)}})),
        ),
        json_post(
            "many invalid statements, many errors each",
            json.dumps(
                [
                    {
                        "actor": {"mbox": 1, "name": 2},
                        "verb": {"id": 3},
                        "object": {"id": 4},
                        "result": {"score": {"raw": "x"}},
                        "bogus": 5,
                        "timestamp": 6,
                    }
                ]
                * (n // 170)
            ),
        ),
        json_post(
            "many contextActivities with a wrong objectType",
            json.dumps(
                stmt(
                    context={
                        "contextActivities": {
                            "grouping": [
                                {"id": f"https://x.example/{i}", "objectType": "Nope"}
                                for i in range(n // 55)
                            ]
                        }
                    }
                )
            ),
        ),
        json_post(
            "group with many members",
            json.dumps(
                stmt(
                    actor={
                        "objectType": "Group",
                        "member": [{"mbox": f"mailto:m{i}@x.example"} for i in range(n // 35)],
                    }
                )
            ),
        ),
        json_post(
            "group with many bad members",
            json.dumps(
                stmt(actor={"objectType": "Group", "member": [{"name": i} for i in range(n // 16)]})
            ),
        ),
        json_post(
            "many valid members around one bad one",
            json.dumps(
                stmt(
                    actor={
                        "objectType": "Group",
                        "member": [{"mbox": f"mailto:m{i}@x.example"} for i in range(n // 70)]
                        + [{"mbox": "not a mailto IRI"}]
                        + [{"mbox": f"mailto:n{i}@x.example"} for i in range(n // 70)],
                    },
                    bogus=1,
                )
            ),
        ),
        json_post(
            "many valid choices and one unknown key",
            json.dumps(
                stmt(
                    object={
                        "id": ACTIVITY,
                        "definition": {
                            "interactionType": "choice",
                            "choices": [
                                {"id": f"c{i}", "description": {"en": "x"}} for i in range(n // 44)
                            ],
                        },
                    },
                    bogus=1,
                )
            ),
        ),
        json_post(
            "interaction with many duplicate choices",
            json.dumps(
                stmt(
                    object={
                        "id": ACTIVITY,
                        "definition": {
                            "interactionType": "choice",
                            "choices": [
                                {"id": "same", "description": {"en": "x"}} for _ in range(n // 44)
                            ],
                        },
                    }
                )
            ),
        ),
        json_post(
            "many attachments without parts",
            json.dumps(
                stmt(
                    attachments=[
                        {
                            "usageType": "http://x.example/u",
                            "display": {"en": "a"},
                            "contentType": "text/plain",
                            "length": 1,
                            "sha2": f"{i:064x}",
                        }
                        for i in range(n // 180)
                    ]
                )
            ),
        ),
        json_post(
            "lone surrogate escapes",
            json.dumps(stmt()).replace(
                '"id": "http', '"x": "' + "\\ud800" * ((n - 300) // 6) + '", "id": "http', 1
            ),
        ),
        json_post("non-finite numbers 1e400", "[" + fill("1e400", n) + "]"),
        json_post("4000-digit integers", "[" + fill("1" * 4000, n) + "]"),
        json_post("4301-digit integer", with_extension("1" * 4301)),
        json_post("many tiny valid statements", json.dumps([stmt()] * (n // 255))),
    ]
    out += [multipart_many_parts(n), multipart_many_headers(n)]
    out += documents(n)
    out += query_params(n)
    out += [alternate_many_fields(n)]
    return out


def multipart_many_parts(n: int) -> Shape:
    parts = []
    count = n // 350
    attachments = []
    for i in range(count):
        content = f"part {i}".encode()
        sha2 = hashlib.sha256(content).hexdigest()
        attachments.append(
            {
                "usageType": "http://x.example/u",
                "display": {"en": "a"},
                "contentType": "text/plain",
                "length": len(content),
                "sha2": sha2,
            }
        )
        parts.append(
            b"--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\n"
            + f"X-Experience-API-Hash: {sha2}\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    first = (
        b"--b\r\nContent-Type: application/json\r\n\r\n"
        + json.dumps(stmt(attachments=attachments)).encode()
        + b"\r\n"
    )
    body = first + b"".join(parts) + b"--b--\r\n"
    return Shape(
        "multipart, many attachment parts",
        "POST",
        "statements",
        body,
        headers={"Content-Type": "multipart/mixed; boundary=b"},
    )


def multipart_many_headers(n: int) -> Shape:
    headers = "".join(f"X-Header-{i}: {'v' * 20}\r\n" for i in range(n // 40))
    body = (
        f"--b\r\nContent-Type: application/json\r\n{headers}\r\n"
        + json.dumps(stmt())
        + "\r\n--b--\r\n"
    ).encode()
    return Shape(
        "multipart, a part with many headers",
        "POST",
        "statements",
        body,
        headers={"Content-Type": "multipart/mixed; boundary=b"},
    )


def documents(n: int) -> list[Shape]:
    wide = "{" + ",".join(f'"k{i}":{i}' for i in range(n // 12)) + "}"
    state = {"activityId": ACTIVITY, "agent": AGENT_PARAM, "stateId": "bench"}
    json_type = {"Content-Type": "application/json"}
    return [
        Shape(
            "state PUT, wide JSON object",
            "PUT",
            "activities/state",
            wide.encode(),
            state,
            json_type,
        ),
        Shape(
            "state POST merge, wide JSON object",
            "POST",
            "activities/state",
            wide.encode(),
            state,
            json_type,
        ),
        Shape(
            "state PUT, deep JSON",
            "PUT",
            "activities/state",
            ("[" * (n // 2) + "]" * (n // 2)).encode(),
            state,
            json_type,
        ),
        Shape(
            "activity profile PUT, duplicate keys",
            "PUT",
            "activities/profile",
            ("{" + ",".join(f'"k{i}":1,"k{i}":2' for i in range(n // 20)) + "}").encode(),
            {"activityId": ACTIVITY, "profileId": "bench"},
            {**json_type, "If-None-Match": "*"},
            fresh=True,
        ),
    ]


def alternate(path: str, method: str, fields: dict[str, str], name: str) -> Shape:
    return Shape(
        name,
        "POST",
        path,
        urllib.parse.urlencode(fields).encode(),
        {"method": method},
        {"Content-Type": "application/x-www-form-urlencoded"},
    )


def query_params(n: int) -> list[Shape]:
    deep = "[" * (n // 6) + "]" * (n // 6)  # urlencoded: 3 bytes a bracket
    wide_agent = json.dumps({"mbox": "mailto:a@x.example", **{f"k{i}": i for i in range(n // 30)}})
    token = base64.urlsafe_b64encode(
        ("[" * (n // 3) + "]" * (n // 3)).encode()[: n * 3 // 4]
    ).decode()
    return [
        alternate("statements", "GET", {"agent": deep}, "agent= deep (statements)"),
        alternate("statements", "GET", {"agent": wide_agent}, "agent= wide (statements)"),
        alternate("agents", "GET", {"agent": deep}, "agent= deep (agents)"),
        alternate(
            "activities/state",
            "GET",
            {"activityId": ACTIVITY, "agent": deep},
            "agent= deep (state)",
        ),
        alternate("statements", "GET", {"more": token}, "more= deep token"),
        alternate("statements", "GET", {"limit": "9" * (n // 4)}, "limit= 15,000 digits"),
        alternate(
            "statements",
            "GET",
            {"since": "2024-01-01T00:00:00." + "1" * (n // 4)},
            "since= long fraction",
        ),
        alternate("statements", "GET", {"verb": "http://" + "a" * (n // 4)}, "verb= long IRI"),
    ]


def alternate_many_fields(n: int) -> Shape:
    fields = "&".join(f"f{i}=v" for i in range(n // 8))
    return Shape(
        "alternate syntax, many unknown fields",
        "POST",
        "statements",
        fields.encode(),
        {"method": "PUT"},
        {"Content-Type": "application/x-www-form-urlencoded"},
    )


# --- sending and measuring -------------------------------------------------------------------------


class Client:
    def __init__(self, base_url: str, api_key: str) -> None:
        host, _, port = base_url.removeprefix("http://").partition(":")
        self.host, self.port = host, int(port)
        self.auth = "Basic " + base64.b64encode(api_key.encode()).decode()
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)

    def send(self, shape: Shape) -> tuple[int, float]:
        params = dict(shape.params)
        if shape.fresh:
            params["profileId"] = str(uuid.uuid4())
        query = ("?" + urllib.parse.urlencode(params)) if params else ""
        headers = {"Authorization": self.auth, "X-Experience-API-Version": "1.0.3", **shape.headers}
        start = time.perf_counter()
        try:
            self.conn.request(
                shape.method, f"/xapi/default/{shape.path}{query}", shape.body, headers
            )
            response = self.conn.getresponse()
            response.read()
        except (ConnectionError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
            return 0, (time.perf_counter() - start) * 1000
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        return response.status, (time.perf_counter() - start) * 1000


def journal_durations(server: ServeProcess, after: int) -> tuple[list[float], int]:
    conn = http.client.HTTPConnection(server.base_url.removeprefix("http://"), timeout=60)
    auth = "Basic " + base64.b64encode(server.api_key.encode()).decode()
    conn.request(
        "GET",
        f"/api/mounts/default/journal?after={after}&limit=5000",
        headers={"Authorization": auth},
    )
    page = json.loads(conn.getresponse().read())
    conn.close()
    entries = page["entries"]
    return [e["duration_ms"] for e in entries], (entries[-1]["seq"] if entries else after)


def cpu_ns(pid: int) -> int:
    """CPU time the server process has used, all threads, in ns (Linux schedstat): unlike wall
    time it does not grow when other processes crowd the cores."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            continue  # a thread that ended between listing and reading
    return total


def measure(server: ServeProcess, all_shapes: list[Shape], repeat: int) -> list[dict]:
    assert server.proc is not None
    pid = server.proc.pid
    client = Client(server.base_url, server.api_key)
    _, seq = journal_durations(server, 0)
    rows = []
    for shape in all_shapes:
        statuses, walls, cpus = [], [], []
        for _ in range(repeat):
            before = cpu_ns(pid)
            status, wall = client.send(shape)
            cpus.append((cpu_ns(pid) - before) / 1e6)
            statuses.append(status)
            walls.append(wall)
        server_ms, seq = journal_durations(server, seq)
        rows.append(
            {
                "shape": shape.name,
                "bytes": len(shape.body) + len(urllib.parse.urlencode(shape.params)),
                "status": sorted(set(statuses)),
                "cpu_ms_median": round(statistics.median(cpus), 1),
                "cpu_ms_max": round(max(cpus), 1),
                "server_ms_median": round(statistics.median(server_ms), 1) if server_ms else None,
                "server_ms_max": round(max(server_ms), 1) if server_ms else None,
                "wall_ms_median": round(statistics.median(walls), 1),
            }
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=60_000, help="target body size in bytes")
    parser.add_argument("--repeat", type=int, default=5, help="sends per shape")
    parser.add_argument("--goal-ms", type=float, default=50.0)
    parser.add_argument("--only", default="", help="only shapes whose name contains this")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    if args.size < 2_000 or args.repeat < 1:
        print("--size must be >= 2000 and --repeat >= 1", file=sys.stderr)
        return 2
    chosen = [s for s in shapes(args.size) if args.only in s.name]
    with tempfile.TemporaryDirectory() as tmp, ServeProcess(Path(tmp) / "bench.db") as server:
        rows = measure(server, chosen, args.repeat)
    width = max(len(r["shape"]) for r in rows)
    print(
        f"{'shape':<{width}}  {'bytes':>7}  {'status':<7} {'CPU ms (med/max)':>17}"
        f" {'server ms (med/max)':>20} {'wall ms':>8}"
    )
    bad = []
    for r in rows:
        cpu_ms = f"{r['cpu_ms_median']}/{r['cpu_ms_max']}"
        server_ms = f"{r['server_ms_median']}/{r['server_ms_max']}"
        status = ",".join(map(str, r["status"]))
        over = r["cpu_ms_median"] > args.goal_ms or any(s >= 500 or s == 0 for s in r["status"])
        bad += [r["shape"]] if over else []
        flag = "  <-- over the goal" if over else ""
        print(
            f"{r['shape']:<{width}}  {r['bytes']:>7}  {status:<7} {cpu_ms:>17} {server_ms:>20}"
            f" {r['wall_ms_median']:>8}{flag}"
        )
    worst = max(rows, key=lambda r: r["cpu_ms_median"])
    load = os.getloadavg()[0]
    print(
        f"\nworst: {worst['shape']}, {worst['cpu_ms_median']} ms of server CPU (median of"
        f" {args.repeat}); goal {args.goal_ms} ms per request; load average {load:.1f}"
    )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    if bad:
        print(f"over the goal or 5xx: {bad}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
