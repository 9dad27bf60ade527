"""The delivery engine's own promises, with real publishers on the fakes wrapped to misbehave.

Wrappers delegate to the real publishers (tweepy / Mastodon.py against the
fakes); they only add what a test needs: a request that takes long on the
virtual clock, or a bug that raises something no adapter translates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from delivery_support import (
    MASTODON_CANARY,
    Setup,
    VirtualClock,
    cli_env,
    make_mastodon_fake,
    make_x_fake,
    parts,
    run_inproc,
    set_env,
    states,
    thread_entries,
    write_feed,
)


class Wrapped:
    """A real publisher, plus `before_publish(identity)` run before each publish."""

    def __init__(self, setup: Setup, platform: str, before_publish: Any) -> None:
        from syndicate.config import load_config
        from syndicate.delivery.publishers import open_publisher
        from syndicate.store import Store

        self.name = platform
        self.real = open_publisher(platform, load_config(setup.config), Store.open(setup.state))
        self.before_publish = before_publish

    def publish(self, post: Any, *, identity: Any, reply_to: Any = None) -> Any:
        self.before_publish(identity)
        return self.real.publish(post, identity=identity, reply_to=reply_to)

    def find(self, post: Any, *, identity: Any, reply_to: Any = None) -> Any:
        return self.real.find(post, identity=identity, reply_to=reply_to)

    @property
    def last_rate(self) -> Any:
        return self.real.last_rate


def test_no_request_starts_once_the_run_is_out_of_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each X post takes 20 s (virtual). With max_run_seconds = 30 the run starts X's 1st and 2nd
    parts, then stops: no 3rd part. Mastodon is delivered side by side with X (issue 11), under the
    same deadline: whatever it sent was stored by then (plus the request in flight), the rest of its
    thread stays queued, in order. The next run finishes both threads, replying to the parts out."""
    clock = VirtualClock()
    set_env(monkeypatch, cli_env(x=True, mastodon=MASTODON_CANARY))
    with make_x_fake(clock=clock.wall) as xf, make_mastodon_fake(clock=clock.wall) as mf:
        setup = Setup(tmp_path, feed=str(write_feed(tmp_path / "feed.xml", thread_entries(1, prefix="slow"))),
                      x_api=xf.base_url, mastodon=mf.base_url, delivery={"max_run_seconds": 30})
        setup.write()
        slow_x = Wrapped(setup, "x", lambda identity: clock.jump(20))
        start, wall_start = clock.monotonic(), clock.wall()
        run_inproc(setup, clock, publishers={"x": slow_x, "mastodon": Wrapped(setup, "mastodon", lambda i: None)})
        assert clock.monotonic() - start <= 30 + 20  # the budget, plus at most the request in flight
        assert states(setup.state, "x") == ["sent", "sent", "planned", "planned"]
        assert all(s.created_at <= wall_start + 30 + 20 for s in mf.statuses)
        sent = len(mf.statuses)
        assert states(setup.state, "mastodon") == ["sent"] * sent + ["planned"] * (4 - sent)
        clock.jump(300)
        run_inproc(setup, clock)
    assert set(states(setup.state, "x") + states(setup.state, "mastodon")) == {"sent"}
    ordered = sorted(xf.tweets, key=lambda t: int(t.id))
    assert [t.reply_to for t in ordered[1:]] == [t.id for t in ordered[:-1]]
    assert len(mf.statuses) == 4


def test_an_unexpected_error_on_one_platform_does_not_stop_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug (an exception no adapter translates) while X posts part 2: Mastodon still posts, the run
    exits 1 naming X, and the next run finishes X's thread without a duplicate (the part that was
    in flight is looked up first)."""
    clock = VirtualClock()
    set_env(monkeypatch, cli_env(x=True, mastodon=MASTODON_CANARY))
    tripped: list[int] = []

    def bug(identity: Any) -> None:
        if identity.part == 2 and not tripped:
            tripped.append(2)
            raise KeyError("an untranslated library error")

    with make_x_fake(clock=clock.wall) as xf, make_mastodon_fake(clock=clock.wall) as mf:
        setup = Setup(tmp_path, feed=str(write_feed(tmp_path / "feed.xml", thread_entries(1, prefix="bug"))),
                      x_api=xf.base_url, mastodon=mf.base_url)
        setup.write()
        buggy = Wrapped(setup, "x", bug)
        report = run_inproc(setup, clock, publishers={"x": buggy, "mastodon": Wrapped(setup, "mastodon",
                                                                                     lambda i: None)})
        assert report.exit_code == 1
        assert any(e.platform == "x" and e.kind == "failed" and "KeyError" in e.message for e in report.events)
        assert len(mf.statuses) == 4
        assert states(setup.state, "x") == ["sent", "sending", "planned", "planned"]
        clock.jump(300)
        report = run_inproc(setup, clock, publishers={"x": buggy})
        assert report.exit_code == 0
    assert states(setup.state, "x") == ["sent"] * 4
    assert len(xf.tweets) == 4 and len({t.text for t in xf.tweets}) == 4
    assert parts(setup.state, "x")[1]["attempts"] == 2
