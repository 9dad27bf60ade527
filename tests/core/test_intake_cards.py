"""Link cards at the intake: fetched for the whole pass at once (bounded), never started after the
run's budget; with no time left the composer builds the card from the feed's own fields."""

from __future__ import annotations

import threading
from pathlib import Path

from core.feedgen import item, rss
from watch.feedserver import FeedServer, Reply, Seen, conditional

from syndicate.config import load_config
from syndicate.delivery.intake import prepare
from syndicate.settings import Settings
from syndicate.store import Store

ARTICLE = ('<html><head><meta property="og:title" content="OG title {n}">'
           '<meta property="og:description" content="OG description {n}."></head><body>x</body></html>')


def settings_for(tmp_path: Path, server: FeedServer, n: int) -> Settings:
    """One feed of n entries whose articles live on the same local server as the feed."""
    body = rss([item(i, link=server.url(f"/story-{i}")) for i in range(1, n + 1)])
    server.route("/feed.xml", conditional(lambda: body))
    config = tmp_path / "syndicate.toml"
    config.write_text(f"""
[state]
path = "state.db"
[[feeds]]
url = "{server.url('/feed.xml')}"
name = "local"
backfill = {n}
[bluesky]
enabled = true
handle = "me.test"
service = "http://127.0.0.1:9"
[compose]
cards = true
""", encoding="utf-8")
    return load_config(config)


def article_requests(server: FeedServer) -> list[Seen]:
    return [s for s in server.seen if s.path.startswith("/story-")]


def test_card_fetches_of_a_pass_run_at_once(tmp_path: Path) -> None:
    n = 4
    together = threading.Barrier(n, timeout=10)  # each page answers only when all n requests are in flight

    def page(i: int):  # type: ignore[no-untyped-def]
        def reply(seen: Seen) -> Reply:
            try:
                together.wait()
            except threading.BrokenBarrierError:
                return Reply(503)  # fetched one after another: no card, and the assertion below says so
            return Reply(200, ARTICLE.format(n=i).encode(), headers={"Content-Type": "text/html"})
        return reply

    with FeedServer() as server:
        settings = settings_for(tmp_path, server, n)
        for i in range(1, n + 1):
            server.route(f"/story-{i}", page(i))
        store = Store.open(settings.state_path)
        prepared = prepare(settings, store)
        store.close()
        assert server.max_in_flight >= n
    cards = [p.platform("bluesky").posts[0].card for p in prepared.accepted]  # type: ignore[union-attr]
    assert [c.title if c else None for c in cards] == [f"OG title {i}" for i in range(1, n + 1)]


def test_no_card_fetch_starts_once_the_run_budget_is_spent(tmp_path: Path) -> None:
    ticks = iter([0.0])  # the run starts at 0; every later reading is past max_run_seconds

    def monotonic() -> float:
        return next(ticks, 10_000.0)

    with FeedServer() as server:
        settings = settings_for(tmp_path, server, 2)
        for i in (1, 2):
            server.route(f"/story-{i}", Reply(200, ARTICLE.format(n=i).encode(), headers={"Content-Type": "text/html"}))
        store = Store.open(settings.state_path)
        prepared = prepare(settings, store, monotonic=monotonic)
        assert article_requests(server) == []  # no page was requested
        assert len(prepared.accepted) == 2  # the dispatches are accepted all the same
        for plan in prepared.accepted:
            card = plan.platform("bluesky").posts[0].card  # type: ignore[union-attr]
            assert card is not None and card.title == plan.dispatch.title  # built from the feed's own fields
        # Committed: the next pass gets a 304 and finds nothing new.
        again = prepare(settings, store, monotonic=monotonic)
        store.close()
        assert again.accepted == []
        assert server.requests_to("/feed.xml")[-1].headers.get("if-none-match")


def test_cards_within_the_budget_are_fetched(tmp_path: Path) -> None:
    with FeedServer() as server:
        settings = settings_for(tmp_path, server, 1)
        server.route("/story-1", Reply(200, ARTICLE.format(n=1).encode(), headers={"Content-Type": "text/html"}))
        store = Store.open(settings.state_path)
        prepared = prepare(settings, store, monotonic=lambda: 0.0)
        store.close()
    card = prepared.accepted[0].platform("bluesky").posts[0].card  # type: ignore[union-attr]
    assert card is not None and card.title == "OG title 1"
    assert len(article_requests(server)) == 1
