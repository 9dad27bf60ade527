"""The fake itself speaks Mastodon's wire format (checked with plain httpx, not Mastodon.py)."""

from __future__ import annotations

import re

import httpx
from fakes.mastodon_api import FakeMastodon

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def test_wire_format() -> None:
    with FakeMastodon(token="tok-wire") as fake, httpx.Client(base_url=fake.base_url) as client:
        auth = {"Authorization": "Bearer tok-wire"}
        responses = [
            client.get("/api/v2/instance/"),
            client.post("/api/v1/statuses", headers={"Authorization": "Bearer wrong"}, data={"status": "x"}),
            client.post("/api/v1/statuses", headers=auth, json={"status": "json body", "visibility": "private",
                                                                "language": "de"}),
            client.get("/api/v1/nope"),
        ]
        for r in responses:
            assert r.headers["X-RateLimit-Limit"].isdigit()
            assert r.headers["X-RateLimit-Remaining"].isdigit()
            assert ISO.match(r.headers["X-RateLimit-Reset"]), r.headers["X-RateLimit-Reset"]
            assert r.headers["Date"].endswith("GMT")
        instance, unauthorized, created, missing = responses
        assert instance.json()["configuration"]["statuses"]["max_characters"] == 500
        assert (unauthorized.status_code, unauthorized.json()) == (401, {"error": "The access token is invalid"})
        assert created.status_code == 200
        status = created.json()
        assert isinstance(status["id"], str) and status["content"] == "<p>json body</p>"
        assert (status["visibility"], status["language"], status["account"]["acct"]) == ("private", "de", "alice")
        assert client.get(f"/api/v1/statuses/{status['id']}").json()["uri"] == status["uri"]
        assert (missing.status_code, missing.json()) == (404, {"error": "Record not found"})


def test_account_statuses_newest_first_with_paging() -> None:
    with FakeMastodon(token="tok-wire") as fake, httpx.Client(base_url=fake.base_url) as client:
        ids = [fake.seed_status(f"s{n}").id for n in range(5)]
        page = client.get(f"/api/v1/accounts/{fake.account_id}/statuses", params={"limit": 2}).json()
        assert [s["id"] for s in page] == ids[::-1][:2]
        older = client.get(f"/api/v1/accounts/{fake.account_id}/statuses",
                           params={"max_id": page[-1]["id"]}).json()
        assert [s["id"] for s in older] == ids[::-1][2:]
