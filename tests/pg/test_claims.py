"""Hosts divide the work through the PostgreSQL state: feed claims per pass, account claims per run.

Two `Store`s on one database play two hosts (each its own connections, as two processes would).
"""

from __future__ import annotations

import psycopg

from syndicate.store import FEED_CLAIM_SECONDS, FEED_PASS_SECONDS, Store

FEED = "https://example.org/feed"


def test_an_account_is_delivered_to_by_one_host_at_a_time(pg_url: str) -> None:
    a, b = Store.open_url(pg_url), Store.open_url(pg_url)
    with a.claim_account("mastodon") as got_a:
        assert got_a
        with b.claim_account("mastodon") as got_b, b.claim_account("x") as got_x:
            assert not got_b  # held by a: b skips it, without waiting
            assert got_x  # another account is free
    with b.claim_account("mastodon") as got_b:
        assert got_b  # a's claim ended with its block
    a.close(), b.close()


def test_a_dead_hosts_account_claim_goes_with_its_connection(pg_url: str) -> None:
    a, b = Store.open_url(pg_url), Store.open_url(pg_url)
    with a.claim_account("bluesky") as got_a:
        assert got_a
        # The host dies: the server ends its claim connection (as when a killed process's socket closes).
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE application_name = 'syndicate claim bluesky'")
        with b.claim_account("bluesky") as got_b:
            assert got_b
    a.close(), b.close()


def test_a_due_feed_is_claimed_by_one_host_per_pass(pg_url: str) -> None:
    a, b = Store.open_url(pg_url), Store.open_url(pg_url)
    a.host, b.host = "host-a", "host-b"  # as SYNDICATE_HOST (default: the hostname) names them
    now = 1_000_000.0
    assert a.claim_feeds({FEED: ("f", None)}, now=now) == {FEED}  # a never-seen feed gets its row here
    assert b.claim_feeds({FEED: ("f", None)}, now=now + 1) == set()  # a's lease runs
    # a records the fetch: the lease ends, and b, which read the feed's state before, does not fetch it again.
    a.record_fetch(FEED, "f", etag='"1"', now=now + 2)
    assert b.claim_feeds({FEED: ("f", None)}, now=now + 3) == set()
    # Read afresh: b's run starting within FEED_PASS_SECONDS of a's is the same pass; the next one is b's.
    fresh = b.feed_state(FEED)
    assert fresh is not None and fresh.last_fetch_at == now + 2
    assert b.claim_feeds({FEED: ("f", fresh.last_fetch_at)}, now=now + 2 + FEED_PASS_SECONDS - 1) == set()
    # a's own next run is not held back (on one host the schedule alone decides, as with a file).
    assert a.claim_feeds({FEED: ("f", fresh.last_fetch_at)}, now=now + 3) == {FEED}
    a.record_fetch(FEED, "f", etag='"2"', now=now + 3)
    later = b.feed_state(FEED)
    assert later is not None
    assert b.claim_feeds({FEED: ("f", later.last_fetch_at)}, now=now + 3 + FEED_PASS_SECONDS + 1) == {FEED}
    a.close(), b.close()


def test_a_dead_hosts_feed_claim_runs_out(pg_url: str) -> None:
    a, b = Store.open_url(pg_url), Store.open_url(pg_url)
    now = 2_000_000.0
    assert a.claim_feeds({FEED: ("f", None)}, now=now) == {FEED}
    a.close()  # a dies before it records the fetch
    assert b.claim_feeds({FEED: ("f", None)}, now=now + FEED_CLAIM_SECONDS - 1) == set()
    assert b.claim_feeds({FEED: ("f", None)}, now=now + FEED_CLAIM_SECONDS + 1) == {FEED}
    b.close()


def test_sqlite_and_readonly_stores_claim_everything(tmp_path, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    """One host per SQLite file (the lock file keeps runs apart); dry-run previews every due feed."""
    file = Store.open(tmp_path / "s.db")
    assert file.claim_feeds({FEED: ("f", None)}, now=1.0) == {FEED}
    assert file.claim_feeds({FEED: ("f", None)}, now=1.0) == {FEED}
    with file.claim_account("x") as got, file.claim_account("x") as again:
        assert got and again
    file.close()
    a, ro = Store.open_url(pg_url), Store.open_url(pg_url, readonly=True)
    assert a.claim_feeds({FEED: ("f", None)}, now=1.0) == {FEED}
    assert ro.claim_feeds({FEED: ("f", None)}, now=2.0) == {FEED}
    a.close(), ro.close()


def test_a_sum_of_comparisons_counts_rows_as_on_sqlite(pg_url: str) -> None:
    """SQLite sums booleans (SUM(state != 'sent')); the schema teaches PostgreSQL the same."""
    store = Store.open_url(pg_url)
    c = store.conn
    c.execute("INSERT INTO dispatches (id, feed, url, title, accepted_at, plan) VALUES ('d', 'f', 'u', 't', 1, '{}')")
    for part, state in ((1, "sent"), (2, "planned"), (3, "failed")):
        c.execute("INSERT INTO parts (dispatch_id, account, platform, part, of_parts, key, post, updated_at, state) "
                  "VALUES ('d', 'x', 'x', ?, 3, ?, '{}', 1, ?)", (part, f"k{part}", state))
    assert tuple(c.execute("SELECT SUM(state != ?), SUM(cost) FROM parts", ("sent",)).fetchone()) == (2, 0)
    store.close()
