"""Issue 10: a resend is looked up once, by the engine, never again inside the adapter.

Each test runs the real `syndicate run` in process against a network on loopback (the X and
Mastodon fakes, the reference PDS) and counts, on the server, the requests that look a post
up: a part whose first post failed is looked up exactly once before it is posted again.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from delivery_support import (
    MASTODON_CANARY,
    Setup,
    VirtualClock,
    cli_env,
    entries,
    run_inproc,
    set_env,
    states,
    write_feed,
)
from fakes._x_wire import DUPLICATE_DETAIL
from fakes.mastodon_api import API_STATUSES, FakeMastodon
from fakes.x_api import XApiFake
from pds.harness import PdsHandle

X_LOOKUP = r"/2/users/\d+/tweets"
MASTODON_LOOKUP = re.compile(r"/api/v1/accounts/[^/]+/statuses/?")
BSKY_CREATE, BSKY_LOOKUP = "com.atproto.repo.createRecord", "com.atproto.repo.getRecord"

# Every test here runs on both state backends: the SQLite file and PostgreSQL.
pytestmark = pytest.mark.usefixtures("both_backends")


def _setup(tmp_path: Path, **networks: object) -> Setup:
    feed = write_feed(tmp_path / "feed.xml", entries(1, prefix="once", body="One short report."))
    setup = Setup(tmp_path, feed=str(feed), **networks)  # type: ignore[arg-type]
    setup.write()
    return setup


def test_x_resend_after_a_5xx_costs_one_lookup(tmp_path: Path, x_fake: XApiFake,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    set_env(monkeypatch, cli_env(x=True))
    setup = _setup(tmp_path, x_api=x_fake.base_url)
    x_fake.faults.next(status=503, method="POST", path="/2/tweets")
    run_inproc(setup, VirtualClock())
    assert states(setup.state, "x") == ["sent"]
    assert len(x_fake.calls("GET", X_LOOKUP)) == 1
    assert len(x_fake.calls("POST", "/2/tweets")) == 2 and len(x_fake.tweets) == 1


def test_x_duplicate_is_looked_up_once(tmp_path: Path, x_fake: XApiFake, monkeypatch: pytest.MonkeyPatch) -> None:
    # The adapter used to look the post up itself on a 403 duplicate, and the engine again when it was not found.
    set_env(monkeypatch, cli_env(x=True))
    setup = _setup(tmp_path, x_api=x_fake.base_url)
    x_fake.faults.next(status=403, body={"title": "Forbidden", "status": 403, "detail": DUPLICATE_DETAIL,
                                         "type": "about:blank"}, method="POST", path="/2/tweets")
    run_inproc(setup, VirtualClock())
    assert states(setup.state, "x") == ["failed"]  # someone's older post, not ours: said, not hidden
    assert len(x_fake.calls("GET", X_LOOKUP)) == 1
    assert len(x_fake.calls("POST", "/2/tweets")) == 1 and x_fake.tweets == []


def test_mastodon_resend_after_a_5xx_costs_one_lookup(tmp_path: Path, mastodon_fake: FakeMastodon,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    set_env(monkeypatch, cli_env(mastodon=MASTODON_CANARY))
    setup = _setup(tmp_path, mastodon=mastodon_fake.base_url)
    mastodon_fake.fail_next(status=503, method="POST", path=API_STATUSES)
    run_inproc(setup, VirtualClock())
    assert states(setup.state, "mastodon") == ["sent"]
    lookups = [r for r in mastodon_fake.requests if r.method == "GET" and MASTODON_LOOKUP.fullmatch(r.path)]
    assert len(lookups) == 1
    assert len(mastodon_fake.requests_to("POST", API_STATUSES)) == 2 and len(mastodon_fake.statuses) == 1


def test_bluesky_resend_after_a_5xx_costs_one_lookup(tmp_path: Path, pds: PdsHandle,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # The adapter used to look the record key up after the 503, and the engine again before the resend.
    account = pds.accounts["carol"]
    set_env(monkeypatch, cli_env(bluesky=account.password))
    setup = _setup(tmp_path, bluesky=(pds.url, account.handle))
    creates, lookups = pds.call_count(BSKY_CREATE), pds.call_count(BSKY_LOOKUP)
    pds.inject(BSKY_CREATE, "status", status=503, error="ServiceUnavailable", message="try later")
    try:
        run_inproc(setup, VirtualClock())
    finally:
        pds.clear_faults()
    assert states(setup.state, "bluesky") == ["sent"]
    assert pds.call_count(BSKY_LOOKUP) - lookups == 1
    assert pds.call_count(BSKY_CREATE) - creates == 2  # the refused one, then the one that landed
