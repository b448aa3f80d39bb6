"""A minimal cmi5 AU for tests: reads a launch URL, fetches the token, sends template statements."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

CMI5 = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
MOVEON = "https://w3id.org/xapi/cmi5/context/categories/moveon"
VERBS = "http://adlnet.gov/expapi/verbs/"


class AU:
    def __init__(self, launch_url: str) -> None:
        query = parse_qs(urlsplit(launch_url).query)
        self.params = {k: v[0] for k, v in query.items()}
        self.endpoint = self.params["endpoint"]
        self.actor = json.loads(self.params["actor"])
        self.registration = self.params["registration"]
        self.activity_id = self.params["activityId"]
        self.http = requests.Session()
        self.http.headers["X-Experience-API-Version"] = "1.0.3"
        self.template: dict[str, Any] = {}

    def fetch(self) -> requests.Response:
        r = requests.post(self.params["fetch"], timeout=10)
        token = r.json().get("auth-token")
        if token:
            self.http.headers["Authorization"] = f"Basic {token}"
        return r

    def get_launch_data(self) -> requests.Response:
        r = self.http.get(
            self.endpoint + "activities/state",
            params={
                "stateId": "LMS.LaunchData",
                "activityId": self.activity_id,
                "agent": json.dumps(self.actor),
                "registration": self.registration,
            },
        )
        if r.status_code == 200:
            self.template = r.json()["contextTemplate"]
        return r

    def get_preferences(self) -> requests.Response:
        return self.http.get(
            self.endpoint + "agents/profile",
            params={"profileId": "cmi5LearnerPreferences", "agent": json.dumps(self.actor)},
        )

    def start(self) -> None:
        """fetch, LaunchData, preferences: what a conformant AU does before initialized."""
        assert self.fetch().status_code == 200
        assert self.get_launch_data().status_code == 200
        assert self.get_preferences().status_code in (200, 404)

    def statement(
        self, verb: str, *, result: dict | None = None, moveon: bool = False, defined: bool = True
    ) -> dict[str, Any]:
        ctx = json.loads(json.dumps(self.template))
        ctx["registration"] = self.registration
        if defined or moveon:
            cats = ctx.setdefault("contextActivities", {}).setdefault("category", [])
            if defined:
                cats.append({"id": CMI5})
            if moveon:
                cats.append({"id": MOVEON})
        stmt: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "actor": self.actor,
            "verb": {
                "id": verb if verb.startswith("http") else VERBS + verb,
                "display": {"en-US": verb},
            },
            "object": {"id": self.activity_id, "objectType": "Activity"},
            "timestamp": datetime.now(UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "context": ctx,
        }
        if result is not None:
            stmt["result"] = result
        return stmt

    def send(self, stmt: dict[str, Any] | list[dict[str, Any]]) -> requests.Response:
        return self.http.post(self.endpoint + "statements", json=stmt)

    def initialized(self) -> requests.Response:
        return self.send(self.statement("initialized"))

    def completed(self) -> requests.Response:
        return self.send(
            self.statement(
                "completed", result={"completion": True, "duration": "PT1M"}, moveon=True
            )
        )

    def passed(self, scaled: float | None = None) -> requests.Response:
        result: dict[str, Any] = {"success": True, "duration": "PT1M"}
        if scaled is not None:
            result["score"] = {"scaled": scaled}
        return self.send(self.statement("passed", result=result, moveon=True))

    def terminated(self) -> requests.Response:
        return self.send(self.statement("terminated", result={"duration": "PT2M"}))
