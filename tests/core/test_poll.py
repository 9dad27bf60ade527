"""Which entries are new: first sight is a baseline, dedupe by id and canonical URL, edits are not new."""

from __future__ import annotations

import hashlib
from pathlib import Path

from core.feedgen import item, rss

from syndicate.delivery.poll import PollResult, poll
from syndicate.settings import FeedSettings
from syndicate.store import Store


def setup(tmp_path: Path, items: list[str], backfill: int = 1) -> tuple[FeedSettings, Path, Store]:
    path = tmp_path / "feed.xml"
    path.write_bytes(rss(items))
    feed = FeedSettings(url=str(path), name="news", backfill=backfill)
    return feed, path, Store.open(tmp_path / "state.db")


def accept_all(store: Store, result: PollResult) -> None:
    """What the pipeline commits per feed after composing (poll itself writes nothing but errors)."""
    for fi in result.feeds:
        with store.transaction():
            store.record_fetch(fi.feed.url, fi.feed.name, etag=fi.etag, last_modified=fi.last_modified)
            store.mark_seen([(d.id, d.url, fi.feed.url, d.title) for d in fi.baseline], "baseline")
            store.mark_seen([(f.entry_id, f.dispatch.url, fi.feed.url, f.dispatch.title) for f in fi.fresh], "queued")


def test_first_sight_of_30_entries_posts_only_backfill(tmp_path: Path) -> None:
    feed, _, store = setup(tmp_path, [item(n) for n in range(1, 31)], backfill=3)
    result = poll((feed,), store)
    assert [d.id for _, d in result.new] == ["guid-28", "guid-29", "guid-30"]  # newest three, oldest first
    assert result.baseline == 27
    accept_all(store, result)
    again = poll((feed,), store)
    assert again.new == [] and again.baseline == 0


def test_backfill_zero_posts_nothing_on_first_sight(tmp_path: Path) -> None:
    feed, _, store = setup(tmp_path, [item(n) for n in range(1, 6)], backfill=0)
    result = poll((feed,), store)
    assert result.new == [] and result.baseline == 5


def test_a_new_entry_after_the_baseline_is_new(tmp_path: Path) -> None:
    feed, path, store = setup(tmp_path, [item(n) for n in range(1, 4)])
    accept_all(store, poll((feed,), store))
    path.write_bytes(rss([item(n) for n in range(1, 5)]))
    result = poll((feed,), store)
    assert [d.id for _, d in result.new] == ["guid-4"]


def test_changed_guids_with_same_links_are_not_new(tmp_path: Path) -> None:
    feed, path, store = setup(tmp_path, [item(n) for n in range(1, 4)])
    accept_all(store, poll((feed,), store))
    path.write_bytes(rss([item(n, guid=f"new-scheme-{n}") for n in range(1, 4)]))
    assert poll((feed,), store).new == []


def test_tracking_parameters_do_not_make_an_entry_new(tmp_path: Path) -> None:
    feed, path, store = setup(tmp_path, [item(n) for n in range(1, 4)])
    accept_all(store, poll((feed,), store))
    path.write_bytes(rss([item(n, guid="", link=f"https://news.example.org/story-{n}?utm_source=rss&fbclid=x")
                          for n in range(1, 4)]))
    assert poll((feed,), store).new == []


def test_an_edited_entry_is_not_a_new_dispatch(tmp_path: Path) -> None:
    feed, path, store = setup(tmp_path, [item(n) for n in range(1, 4)])
    accept_all(store, poll((feed,), store))
    path.write_bytes(rss([item(1), item(2), item(3, title="Story 3 (corrected headline)", body="<p>Fixed.</p>")]))
    assert poll((feed,), store).new == []


def test_missing_guids_fall_back_to_the_link(tmp_path: Path) -> None:
    feed, path, store = setup(tmp_path, [item(n, guid="") for n in range(1, 3)])
    result = poll((feed,), store)
    assert [d.id for _, d in result.new] == ["https://news.example.org/story-2"]


def test_one_broken_feed_does_not_stop_the_others(tmp_path: Path) -> None:
    good, _, store = setup(tmp_path, [item(1)])
    broken_path = tmp_path / "broken.xml"
    broken_path.write_text("<html><body>Not a feed</body></html>")
    broken = FeedSettings(url=str(broken_path), name="broken")
    missing = FeedSettings(url=str(tmp_path / "missing.xml"), name="missing")
    result = poll((broken, good, missing), store)
    assert [d.id for _, d in result.new] == ["guid-1"]
    assert sorted(e.url for e in result.errors) == sorted([broken.url, missing.url])
    assert all(e.reason for e in result.errors)
    feeds = {f["name"]: f for f in store.feeds()}
    assert feeds["broken"]["last_error"] and feeds["missing"]["last_error"]
    assert "news" not in feeds  # poll records errors only: the good feed is committed with its dispatches
    accept_all(store, result)
    assert {f["name"]: f for f in store.feeds()}["news"]["last_error"] is None


def test_same_article_in_two_feeds_is_posted_once(tmp_path: Path) -> None:
    a, _, store = setup(tmp_path, [item(1)])
    other = tmp_path / "other.xml"
    other.write_bytes(rss([item(1, guid="other-feed-id")]))
    b = FeedSettings(url=str(other), name="other")
    result = poll((a, b), store)
    assert [d.id for _, d in result.new] == ["guid-1"]  # the same URL in two feeds, one pass: once
    accept_all(store, result)
    other.write_bytes(rss([item(1, guid="other-feed-id"), item(2, guid="other-2")]))
    assert [d.id for _, d in poll((a, b), store).new] == ["other-2"]


def test_two_feeds_with_the_same_entry_ids_are_both_new(tmp_path: Path) -> None:
    a, _, store = setup(tmp_path, [item(1), item(2)], backfill=5)
    other = tmp_path / "other.xml"
    other.write_bytes(rss([item(1, link="https://other.example/1"), item(2, link="https://other.example/2")]))
    b = FeedSettings(url=str(other), name="other", backfill=5)
    result = poll((a, b), store)
    tag = hashlib.sha256(str(other).encode()).hexdigest()[:6]
    assert sorted(d.id for _, d in result.new) == ["guid-1", f"guid-1~{tag}", "guid-2", f"guid-2~{tag}"]
    assert [f.entry_id for f in result.feeds[1].fresh] == ["guid-1", "guid-2"]  # seen marks keep the feed's own id
    accept_all(store, result)
    assert poll((a, b), store).new == []
