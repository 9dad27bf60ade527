"""Feeds are polled when due: `interval`, the adaptive backoff, and the server's own word
(Cache-Control max-age, Expires, Retry-After on 429/503, RSS <ttl>), capped at 24 h.

Every assertion is on the feed server's request log (what reached the wire); time is virtual
(the `wall` seam of `intake.prepare`), so nothing sleeps. The server's Date header is real time:
Expires and an HTTP-date Retry-After are read against it, so they are given in real time too.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from email.utils import formatdate
from pathlib import Path

import pytest
from core.feedgen import item, rss
from watch.feedserver import FeedServer, Reply, Seen, conditional

from syndicate.delivery import intake
from syndicate.delivery.schedule import SERVER_DELAY_CAP, due_at
from syndicate.settings import FeedSettings, FetchSettings, MastodonSettings, Settings
from syndicate.store import VERSION, Store

T0 = 1_900_000_000.0  # virtual wall time of the first run
MIN, HOUR = 60.0, 3600.0


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as s:
        yield s


class Poller:
    """Runs the real pipeline (poll → compose → accept_feed) at virtual times against one state file."""

    def __init__(self, tmp_path: Path, feeds: tuple[FeedSettings, ...], fetch: FetchSettings | None = None) -> None:
        self.settings = Settings(path=None, state_path=tmp_path / "state.db", feeds=feeds,
                                 mastodon=MastodonSettings(enabled=True, instance="http://127.0.0.1:9"),
                                 fetch=fetch or FetchSettings())
        self.store = Store.open(self.settings.state_path)

    def at(self, t: float) -> intake.Prepared:
        return intake.prepare(self.settings, self.store, fetch_cards=False, wall=lambda: T0 + t)

    def due(self, feed: FeedSettings) -> float | None:
        when = due_at(feed, self.settings.fetch, self.store.feed_state(feed.url))
        return None if when is None else when - T0


def body_with(n: int, extra: str = "") -> Callable[[], bytes]:
    items = [item(i) for i in range(1, n + 1)]
    return lambda: rss(items).replace(b"<language>en</language>", b"<language>en</language>" + extra.encode())


def with_headers(route: Callable[[Seen], Reply], headers: Callable[[], dict[str, str]]) -> Callable[[Seen], Reply]:
    def reply(seen: Seen) -> Reply:
        r = route(seen)
        r.headers.update(headers())
        return r
    return reply


def count(server: FeedServer, path: str) -> int:
    return len(server.requests_to(path))


def test_interval_is_respected_and_a_feed_not_due_costs_no_request(tmp_path: Path, server: FeedServer) -> None:
    slow = FeedSettings(server.route("/slow.xml", conditional(body_with(3))), "slow", interval=15 * MIN)
    every = FeedSettings(server.route("/every.xml", conditional(body_with(3))), "every")
    p = Poller(tmp_path, (slow, every))
    p.at(0)
    assert (count(server, "/slow.xml"), count(server, "/every.xml")) == (1, 1)
    prepared = p.at(14 * MIN + 59)
    assert (count(server, "/slow.xml"), count(server, "/every.xml")) == (1, 2)  # slow: not due, no request
    assert prepared.not_due == 1
    p.at(15 * MIN)
    assert count(server, "/slow.xml") == 2


def test_cache_control_max_age_is_respected(tmp_path: Path, server: FeedServer) -> None:
    route = with_headers(conditional(body_with(3)), lambda: {"Cache-Control": "public, max-age=600"})
    feed = FeedSettings(server.route("/f.xml", route), "f")
    p = Poller(tmp_path, (feed,))
    p.at(0)
    p.at(599)
    assert count(server, "/f.xml") == 1
    p.at(600)  # a 304 carrying max-age again: the floor moves on from there
    assert count(server, "/f.xml") == 2
    p.at(600 + 599)
    assert count(server, "/f.xml") == 2


def test_max_age_less_age_is_what_remains(tmp_path: Path, server: FeedServer) -> None:
    route = with_headers(conditional(body_with(3)), lambda: {"Cache-Control": "max-age=600", "Age": "500"})
    feed = FeedSettings(server.route("/f.xml", route), "f")
    p = Poller(tmp_path, (feed,))
    p.at(0)
    p.at(100)
    assert count(server, "/f.xml") == 2


@pytest.mark.parametrize("directive", ["no-cache", "no-store"])
def test_no_cache_and_no_store_set_no_floor(tmp_path: Path, server: FeedServer, directive: str) -> None:
    route = with_headers(conditional(body_with(3)), lambda: {"Cache-Control": f"{directive}, max-age=600",
                                                             "Expires": formatdate(time.time() + 600, usegmt=True)})
    feed = FeedSettings(server.route("/f.xml", route), "f")
    p = Poller(tmp_path, (feed,))
    p.at(0)
    p.at(1)
    assert count(server, "/f.xml") == 2


def test_expires_is_respected(tmp_path: Path, server: FeedServer) -> None:
    # Expires is read against the response's own Date (real time), so it is set in real time.
    route = with_headers(conditional(body_with(3)), lambda: {"Expires": formatdate(time.time() + 900, usegmt=True)})
    feed = FeedSettings(server.route("/f.xml", route), "f")
    p = Poller(tmp_path, (feed,))
    p.at(0)
    p.at(880)  # the header dates have one-second grain: stay clear of it either side
    assert count(server, "/f.xml") == 1
    p.at(905)
    assert count(server, "/f.xml") == 2


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_seconds_on_429_and_503(tmp_path: Path, server: FeedServer, status: int) -> None:
    state = {"throttle": False}
    ok = conditional(body_with(3))

    def route(seen: Seen) -> Reply:
        return Reply(status, b"slow down", headers={"Retry-After": "1800"}) if state["throttle"] else ok(seen)

    feed = FeedSettings(server.route("/f.xml", route), "f")
    p = Poller(tmp_path, (feed,))
    p.at(0)
    state["throttle"] = True
    prepared = p.at(60)
    assert [e.reason for e in prepared.errors] == [f"HTTP {status} {'Too Many Requests' if status == 429 else 'Service Unavailable'} (Retry-After 1800)"]
    p.at(60 + 1799)
    assert count(server, "/f.xml") == 2  # nothing during the wait it asked for
    state["throttle"] = False
    p.at(60 + 1800)
    assert count(server, "/f.xml") == 3


def test_retry_after_as_an_http_date(tmp_path: Path, server: FeedServer) -> None:
    feed = FeedSettings(server.route("/f.xml", lambda seen: Reply(
        503, b"", headers={"Retry-After": formatdate(time.time() + 1200, usegmt=True)})), "f")
    p = Poller(tmp_path, (feed,))
    p.at(0)
    p.at(1180)
    assert count(server, "/f.xml") == 1
    p.at(1205)
    assert count(server, "/f.xml") == 2


def test_rss_ttl_is_respected_also_after_a_304(tmp_path: Path, server: FeedServer) -> None:
    feed = FeedSettings(server.route("/f.xml", conditional(body_with(3, "<ttl>30</ttl>"))), "f")
    p = Poller(tmp_path, (feed,))
    p.at(0)
    p.at(29 * MIN + 59)
    assert count(server, "/f.xml") == 1
    p.at(30 * MIN)
    assert [s.headers.get("if-none-match") is not None for s in server.requests_to("/f.xml")] == [False, True]
    p.at(30 * MIN + 29 * MIN)  # the 304 carries no body: the <ttl> read before still holds
    assert count(server, "/f.xml") == 2
    p.at(60 * MIN)
    assert count(server, "/f.xml") == 3


def test_a_hostile_max_age_is_capped_at_24_hours(tmp_path: Path, server: FeedServer) -> None:
    route = with_headers(conditional(body_with(3, "<ttl>9999999</ttl>")),
                         lambda: {"Cache-Control": "max-age=31536000"})  # a year, and a <ttl> of 19 years
    feed = FeedSettings(server.route("/f.xml", route), "f")
    p = Poller(tmp_path, (feed,))
    p.at(0)
    assert SERVER_DELAY_CAP == 24 * HOUR
    p.at(24 * HOUR - 1)
    assert count(server, "/f.xml") == 1
    p.at(24 * HOUR)
    assert count(server, "/f.xml") == 2


def test_backoff_grows_to_max_interval_and_resets_on_change(tmp_path: Path, server: FeedServer) -> None:
    n = {"items": 3}
    feed = FeedSettings(server.route("/f.xml", conditional(lambda: body_with(n["items"])())), "f",
                        interval=2 * MIN)
    p = Poller(tmp_path, (feed,), FetchSettings(max_interval=HOUR))
    fetched_at: list[float] = []
    t = 0.0
    while t <= 8 * HOUR:  # a cron run every minute for 8 quiet hours
        before = count(server, "/f.xml")
        p.at(t)
        if count(server, "/f.xml") > before:
            fetched_at.append(t)
        t += MIN
    gaps = [b - a for a, b in zip(fetched_at, fetched_at[1:], strict=False)]
    assert gaps == sorted(gaps)  # it only ever backs off while quiet
    assert gaps[0] == 2 * MIN  # never sooner than `interval`
    assert max(gaps) == HOUR and gaps[-3:] == [HOUR] * 3  # reaches max_interval and stays there
    # A new entry: the next fetch (when due) finds it, and the interval is back to 2 minutes.
    n["items"] = 4
    t = fetched_at[-1] + HOUR
    prepared = p.at(t)
    assert [plan.dispatch.id for plan in prepared.accepted] == ["guid-4"]
    p.at(t + 2 * MIN - 1)
    assert count(server, "/f.xml") == len(fetched_at) + 1
    p.at(t + 2 * MIN)
    assert count(server, "/f.xml") == len(fetched_at) + 2


def test_a_broken_feed_does_not_back_off(tmp_path: Path, server: FeedServer) -> None:
    state = {"broken": False}
    ok = conditional(body_with(3))
    feed = FeedSettings(server.route("/f.xml", lambda s: Reply(500, b"oops") if state["broken"] else ok(s)), "f")
    p = Poller(tmp_path, (feed,))
    p.at(0)
    state["broken"] = True
    p.at(10 * HOUR)  # quiet for 10 h, and now failing: retried the next run, not an hour later
    p.at(10 * HOUR + MIN)
    assert count(server, "/f.xml") == 3


def test_the_schedule_commits_with_the_validators_a_crash_before_leaves_the_feed_due(
        tmp_path: Path, server: FeedServer) -> None:
    """poll() writes nothing but errors; a run that dies after the fetch and before `accept_feed`
    (here: stopped while composing, through the run's own clock seam) leaves the feed due and
    its validators unwritten; the next run fetches it and commits both together."""
    n = {"items": 3, "max_age": 3600}
    route = with_headers(conditional(lambda: body_with(n["items"])()),
                         lambda: {"Cache-Control": f"max-age={n['max_age']}"})
    feed = FeedSettings(server.route("/f.xml", route), "f", interval=30 * MIN)
    p = Poller(tmp_path, (feed,))
    p.at(0)
    assert p.due(feed) == HOUR
    etag = p.store.feed_state(feed.url).etag  # type: ignore[union-attr]
    n.update(items=4, max_age=7200)
    calls = {"n": 0}

    def monotonic() -> float:
        calls["n"] += 1
        if calls["n"] > 1:  # the first call sets the deadline; the next is the new entry's composing
            raise KeyboardInterrupt("killed between the fetch and the commit")
        return 0.0

    with pytest.raises(KeyboardInterrupt):
        intake.prepare(p.settings, p.store, fetch_cards=False, wall=lambda: T0 + HOUR, monotonic=monotonic)
    assert count(server, "/f.xml") == 2
    assert p.due(feed) == HOUR  # nothing of the dead run's fetch was committed: still due
    assert p.store.feed_state(feed.url).etag == etag  # type: ignore[union-attr]
    prepared = p.at(HOUR + 1)
    assert count(server, "/f.xml") == 3 and [d.dispatch.id for d in prepared.accepted] == ["guid-4"]
    assert p.due(feed) == HOUR + 1 + 2 * HOUR  # committed with it: the new max-age


def test_dry_run_keeps_the_schedule_and_all_fetches_every_feed(tmp_path: Path, server: FeedServer) -> None:
    feed = FeedSettings(server.route("/f.xml", conditional(body_with(3))), "f", interval=HOUR)
    p = Poller(tmp_path, (feed,))
    p.at(0)
    p.store.close()
    from syndicate.commands.dryrun import dry_run_plan

    dry_run_plan(p.settings, fetch_cards=False)  # now (real time) is long before T0 + 1 h: not due
    assert count(server, "/f.xml") == 1
    dry_run_plan(p.settings, show_all=True, fetch_cards=False)
    assert count(server, "/f.xml") == 2


def test_fetch_concurrency_bounds_parallel_fetches(tmp_path: Path, server: FeedServer) -> None:
    feeds = tuple(FeedSettings(server.route(f"/{i}.xml", Reply(200, rss([item(1)]), delay=0.05)), f"f{i}")
                  for i in range(12))
    p = Poller(tmp_path, feeds, FetchSettings(concurrency=3))
    p.at(0)
    assert sum(count(server, f"/{i}.xml") for i in range(12)) == 12
    assert server.max_in_flight == 3


def test_a_schema_3_state_file_upgrades_in_place_and_its_feeds_are_due(tmp_path: Path) -> None:
    from syndicate.store import MIGRATIONS, _statements

    path = tmp_path / "s.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for script in MIGRATIONS[:3]:
        for statement in _statements(script):
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 3")
    conn.execute("INSERT INTO feeds (url, name, etag, first_seen_at, last_fetch_at, last_ok_at) "
                 "VALUES ('https://a.example/feed', 'a', '\"v3\"', 1, 2, 2)")
    conn.close()
    store = Store.open(path)
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == VERSION
    state = store.feed_state("https://a.example/feed")
    assert state is not None and state.etag == '"v3"'
    assert (state.not_before, state.changed_at, state.ttl) == (None, 2.0, None)  # changed at its last good fetch
    assert due_at(FeedSettings("https://a.example/feed", "a"), FetchSettings(), state) == 2.0  # due at once
    store.close()


# -- the config keys -------------------------------------------------------------------------

def _parse(text: str, tmp_path: Path) -> Settings:
    import tomllib

    from syndicate.config import parse_config

    return parse_config(tomllib.loads(text), path=tmp_path / "syndicate.toml")


def test_config_reads_interval_max_interval_and_concurrency(tmp_path: Path) -> None:
    settings = _parse('[[feeds]]\nurl = "https://a.example/feed"\ninterval = "15m"\n'
                      '[[feeds]]\nurl = "https://b.example/feed"\n'
                      '[fetch]\nmax_interval = "2h"\nconcurrency = 4\n', tmp_path)
    assert [f.interval for f in settings.feeds] == [900.0, 0.0]
    assert (settings.fetch.max_interval, settings.fetch.concurrency) == (7200.0, 4)
    defaults = _parse('[[feeds]]\nurl = "https://a.example/feed"\n', tmp_path).fetch
    assert (defaults.max_interval, defaults.concurrency) == (3600.0, 16)


@pytest.mark.parametrize(("text", "expected"), [
    ('[[feeds]]\nurl = "https://a.example/feed"\ninterval = "soon"\n',
     'feeds[0].interval: expected a duration of at least a minute like "24h", "90m" or "2d", got \'soon\''),
    ('[fetch]\nmax_interval = "10s"\n', "fetch.max_interval: expected a duration of at least a minute"),
    ("[fetch]\nconcurrency = 0\n", "fetch.concurrency: expected a number ≥ 1, got 0"),
    ('[fetch]\nconcurrency = "many"\n', "fetch.concurrency: expected a whole number, got 'many'"),
])
def test_schedule_config_mistakes_are_named(tmp_path: Path, text: str, expected: str) -> None:
    from syndicate.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        _parse(text, tmp_path)
    assert expected in str(caught.value) and "syndicate.toml" in str(caught.value)


def test_status_shows_each_feeds_next_due_time(tmp_path: Path, server: FeedServer) -> None:
    from syndicate.commands.status import render_status

    soon = FeedSettings(server.route("/a.xml", conditional(body_with(3))), "a")
    later = FeedSettings(server.route("/b.xml", conditional(body_with(3))), "b", interval=HOUR)
    p = Poller(tmp_path, (soon, later))
    p.at(0)
    p.store.close()
    text = render_status(p.settings, now=T0 + MIN)
    assert "  a: last fetch 2030-03-17 17:46 UTC, ok, next due now" in text
    assert "  b: last fetch 2030-03-17 17:46 UTC, ok, next due 2030-03-17 18:46:40 UTC" in text
