"""`syndicate stats` end to end (a real subprocess against the fakes): the table, the JSON of the
README, --dispatch, --cached, --replies, and replies holding HTML or a script kept inert."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from delivery.delivery_support import (
    MASTODON_CANARY,
    X_CANARY,
    Setup,
    cli_env,
    entries,
    make_mastodon_fake,
    make_x_fake,
    parts,
    run_cli,
    thread_entries,
    write_feed,
)
from stats_support import snapshots, write_with_stats

# Every test here runs on both state backends: the SQLite file and PostgreSQL.
pytestmark = pytest.mark.usefixtures("both_backends")


HOSTILE = '<script>alert("x")</script> <img src=x onerror=alert(1)> & \x1b[31mred'


@pytest.fixture
def posted(tmp_path: Path, both_backends: str):  # type: ignore[no-untyped-def]
    """Two dispatches posted to X (a thread) and Mastodon (a thread and a teaser)."""
    with make_x_fake() as x, make_mastodon_fake() as masto:
        feed = [*thread_entries(1, prefix="th"), *entries(1, prefix="te")]
        setup = Setup(tmp_path, feed=str(write_feed(tmp_path / "feed.xml", feed)), x_api=x.base_url,
                      mastodon=masto.base_url, mode="thread", max_parts=3, backfill=2, x_extra={"stats": True})
        write_with_stats(setup)
        env = cli_env(x=True, mastodon=MASTODON_CANARY)
        done = run_cli(setup.config, "run", env=env)
        assert done.returncode == 0, done.stderr
        yield setup, env, x, masto


def test_counts_as_served_summed_over_a_thread_in_json(posted) -> None:  # type: ignore[no-untyped-def]
    setup, env, x, masto = posted
    thread = [p for p in parts(setup.state, "mastodon") if p["of_parts"] > 1]
    assert len(thread) == 3
    for k, p in enumerate(thread):
        masto.set_counts(p["remote_id"], favourites=k + 1, reblogs=1)
    for p in parts(setup.state, "x"):
        x.set_metrics(p["remote_id"], likes=2, reposts=1, quotes=1)
    done = run_cli(setup.config, "stats", "--format", "json", env=env)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    d = next(d for d in data["dispatches"] if d["id"] == thread[0]["dispatch_id"])
    assert set(d) == {"id", "title", "url", "published", "platforms"}
    m = d["platforms"]["mastodon"]
    assert set(m) == {"platform", "likes", "reposts", "replies", "quotes", "posts"}
    assert (m["platform"], m["likes"], m["reposts"], m["replies"], m["quotes"]) == ("mastodon", 6, 3, 2, None)
    # replies_count is real: parts 2 and 3 reply to 1 and 2
    assert [p["likes"] for p in m["posts"]] == [1, 2, 3]
    assert all(set(p) == {"url", "likes", "reposts", "replies", "quotes", "read_at"} for p in m["posts"])
    xs = d["platforms"]["x"]
    assert (xs["likes"], xs["reposts"], xs["quotes"]) == (2 * len(xs["posts"]), len(xs["posts"]), len(xs["posts"]))
    assert len(snapshots(setup.state)) == len(parts(setup.state))  # one snapshot per post
    # Batches: one Mastodon batch for its 4 posts, one X lookup for its posts.
    assert len(masto.requests_to("GET", "/api/v1/statuses")) == 1
    assert len(x.calls("GET", "/2/tweets")) == 1

    masto.set_counts(thread[0]["remote_id"], favourites=50)
    again = json.loads(run_cli(setup.config, "stats", "--format", "json", env=env).stdout)
    d2 = next(d for d in again["dispatches"] if d["id"] == thread[0]["dispatch_id"])
    assert d2["platforms"]["mastodon"]["likes"] == 55
    assert len(snapshots(setup.state)) == 2 * len(parts(setup.state))  # a new reading, the old one kept


def test_cached_reads_nothing_and_dispatch_filters(posted) -> None:  # type: ignore[no-untyped-def]
    setup, env, x, masto = posted
    before = (len(masto.requests), len(x.requests))
    done = run_cli(setup.config, "stats", "--cached", env=env)
    assert done.returncode == 0, done.stderr
    assert (len(masto.requests), len(x.requests)) == before
    assert "never" in done.stdout and "Dispatch te 001" in done.stdout  # nothing read yet
    one = parts(setup.state, "mastodon")[0]["dispatch_id"]
    data = json.loads(run_cli(setup.config, "stats", "--cached", "--format", "json", "--dispatch", one, env=env).stdout)
    assert [d["id"] for d in data["dispatches"]] == [one]
    assert data["dispatches"][0]["platforms"]["mastodon"]["likes"] is None  # not read: null, not 0


def test_unknown_dispatch_and_missing_state_are_one_line_exit_2(tmp_path: Path, posted) -> None:  # type: ignore[no-untyped-def]
    setup, env, _, _ = posted
    done = run_cli(setup.config, "stats", "--dispatch", "nope", env=env)
    assert done.returncode == 2 and "no dispatch with id 'nope'" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    other = tmp_path / "other"
    other.mkdir()
    cfg = other / "c.toml"
    cfg.write_text('[state]\npath = "s.db"\n[mastodon]\nenabled = true\ninstance = "http://127.0.0.1:9"\n')
    missing = run_cli(cfg, "stats", env=env)
    assert missing.returncode == 2 and "no state file" in missing.stderr and not (other / "s.db").exists()
    bad = run_cli(cfg, "report", "--html", str(other / "r.html"), env=env)
    assert bad.returncode == 2 and "no state file" in bad.stderr


def test_a_network_failing_is_named_and_the_others_are_shown(posted) -> None:  # type: ignore[no-untyped-def]
    setup, env, x, masto = posted
    masto.fail_next(1, status=500, method="GET", path="/api/v1/statuses")
    done = run_cli(setup.config, "stats", "--format", "json", env=env)
    assert done.returncode == 1
    assert "syndicate: mastodon: engagement not read" in done.stderr and "Traceback" not in done.stderr
    data = json.loads(done.stdout)
    assert all(d["platforms"]["x"]["likes"] is not None for d in data["dispatches"])
    for secret in (*X_CANARY.values(), MASTODON_CANARY):
        assert secret not in done.stdout + done.stderr


def test_a_hostile_reply_is_inert_in_text_json_and_html(posted) -> None:  # type: ignore[no-untyped-def]
    setup, env, _, masto = posted
    teaser = next(p for p in parts(setup.state, "mastodon") if p["of_parts"] == 1)
    bob = masto.add_account("bob", "bob-token")
    masto.seed_status(HOSTILE, account_id=bob, in_reply_to_id=teaser["remote_id"])
    text = run_cli(setup.config, "stats", "--replies", env=env)
    assert text.returncode == 0, text.stderr
    assert "\x1b" not in text.stdout and "\\x1b[31mred" in text.stdout  # the escape shown, not obeyed
    assert '<script>alert("x")</script>' in text.stdout  # text, as typed: a terminal runs nothing
    assert "x: replies are not read" in text.stderr
    raw = run_cli(setup.config, "stats", "--cached", "--replies", "--format", "json", env=env).stdout
    assert "<script>" not in raw and "</script>" not in raw and "\x1b" not in raw
    data = json.loads(raw)
    d = next(d for d in data["dispatches"] if d["id"] == teaser["dispatch_id"])
    [reply] = d["platforms"]["mastodon"]["latest_replies"]
    assert reply["text"] == HOSTILE and reply["author"] == "@bob"  # the same text, once decoded
    page = setup.dir / "report.html"
    done = run_cli(setup.config, "report", "--html", str(page), env=env)
    assert done.returncode == 0, done.stderr
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html and "<img" not in html  # no element of the reply's own
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt; &amp;" in html


def test_stats_output_before_anything_was_sent(tmp_path: Path) -> None:
    with make_mastodon_fake() as masto:
        setup = Setup(tmp_path, feed=str(write_feed(tmp_path / "feed.xml", entries(1))), mastodon=masto.base_url,
                      backfill=0)
        write_with_stats(setup)
        env = cli_env(mastodon=MASTODON_CANARY)
        assert run_cli(setup.config, "run", env=env).returncode == 0
        done = run_cli(setup.config, "stats", env=env)
        assert done.returncode == 0 and "No sent posts to show" in done.stdout
        assert json.loads(run_cli(setup.config, "stats", "--format", "json", env=env).stdout) == {"dispatches": []}
