"""An idle cron run (every feed answers 304) is quiet and imports only what the 304 path uses.

What it imports is most of what it costs (bench/bench_idle_run.py measures it): not a platform
SDK, not the parser, not the composer, not the delivery engine and its retry library, not even the
model's dataclasses or a thread pool for a single feed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from core.feedgen import item, rss

PROBE = """
import json, runpy, sys
watched = json.loads(sys.argv[2])
sys.argv = ["syndicate", "run", "--config", sys.argv[1]]
code = 0
try:
    runpy.run_module("syndicate", run_name="__main__")
except SystemExit as exc:
    code = exc.code or 0
sdks = sorted({m.split(".")[0] for m in sys.modules} & {"tweepy", "atproto", "atproto_client", "mastodon"})
loaded = sorted(w for w in watched if any(m == w or m.startswith(w + ".") for m in sys.modules))
print(json.dumps({"code": code, "sdks": sdks, "feedparser": "feedparser" in sys.modules, "loaded": loaded}),
      file=sys.stderr)
"""

# What the 304 path does without: each is loaded by a run that has something to do (the first run
# below proves the probe sees them) or by another command.
NOT_ON_THE_IDLE_PATH = sorted([
    "tweepy", "atproto", "atproto_client", "mastodon",  # platform SDKs: only to deliver
    "feedparser", "syndicate.watch.parse", "syndicate.watch.og",  # only for a feed that changed
    # composing a new dispatch (config checks templates with compose.templates, a few lines of stdlib)
    "PIL", "pysbd", "regex", "syndicate.compose.plan", "syndicate.compose.length",
    "jinja2", "syndicate.preview",  # dry-run and its renderers
    "tenacity", "syndicate.delivery.engine", "syndicate.delivery.publishers", "syndicate.delivery.budget",
    "syndicate.platforms",  # delivery: "nothing due" is one query
    "syndicate.model", "syndicate.jsonplan",  # ~13 ms of dataclasses, for dispatches and plans
    "concurrent.futures",  # one feed needs no fetch pool; nothing new needs no planning pool
    "platformdirs", "difflib",  # the config names the state file and has no mistake to suggest a fix for
    "psycopg", "syndicate.store_postgres",  # the PostgreSQL driver: only with [state] url
    "syndicate.audience", "matplotlib",  # snapshots: only when one is due (one query decides); the report
])


def test_idle_run_is_silent_and_loads_no_sdk(tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from _feedserver import serve

    server, url = serve(rss([item(1), item(2)]))
    try:
        cfg = tmp_path / "c.toml"
        cfg.write_text(f"""
[state]
path = "s.db"
[[feeds]]
url = "{url}"
backfill = 0
[x]
enabled = true
api_base = "http://127.0.0.1:9"
[bluesky]
enabled = true
handle = "me.test"
service = "http://127.0.0.1:9"
[mastodon]
enabled = true
instance = "http://127.0.0.1:9"
""")
        watched = json.dumps(NOT_ON_THE_IDLE_PATH)
        first = subprocess.run([sys.executable, "-c", PROBE, str(cfg), watched], capture_output=True, text=True,
                               timeout=60)
        busy = json.loads(first.stderr.strip().splitlines()[-1])
        assert busy["code"] == 0, first.stderr
        # The first sight (a 200) parses the feed into dispatches: the probe does see those imports.
        assert {"feedparser", "syndicate.watch.parse", "syndicate.model"} <= set(busy["loaded"]), busy
        second = subprocess.run([sys.executable, "-c", PROBE, str(cfg), watched], capture_output=True, text=True,
                                timeout=60)
        report = json.loads(second.stderr.strip().splitlines()[-1])
        # 304 and nothing due: nothing parsed, composed, delivered or even modelled.
        assert report == {"code": 0, "sdks": [], "feedparser": False, "loaded": []}
        assert second.stdout == ""  # cron mails any output: an idle run prints nothing
    finally:
        server.shutdown()


def test_nothing_due_is_decided_as_the_engine_would(tmp_path: Path) -> None:
    """`outbox.anything_due` (one query, before the engine loads) agrees with the engine's own
    `due_dispatches` for every part state, held or not, and any choice of networks."""
    from syndicate.commands.run import run_once
    from syndicate.config import load_config
    from syndicate.delivery import outbox
    from syndicate.store import Store

    feed = tmp_path / "feed.xml"
    feed.write_bytes(rss([item(1)]))
    cfg = tmp_path / "c.toml"
    cfg.write_text(f"""
[state]
path = "s.db"
[[feeds]]
url = "{feed}"
backfill = 1
[x]
enabled = true
[bluesky]
enabled = true
handle = "me.test"
[mastodon]
enabled = true
instance = "http://127.0.0.1:9"
""")
    settings = load_config(cfg)
    run_once(settings, deliver=False)  # queues the entry's parts on all three networks
    store = Store.open(settings.state_path)
    try:
        assert store.conn.execute("SELECT COUNT(*) FROM parts").fetchone()[0] >= 3
        states = (outbox.PLANNED, outbox.SENDING, outbox.SENT, outbox.FAILED, outbox.DEFERRED, outbox.SKIPPED,
                  outbox.UNKNOWN)
        checked = set()
        for held in (0, 1):
            for state in states:
                with store.transaction() as c:
                    c.execute("UPDATE dispatches SET held = ?", (held,))
                    c.execute("UPDATE parts SET state = CASE WHEN platform = 'x' THEN ? ELSE 'sent' END", (state,))
                for platforms in ((), ("x",), ("bluesky", "mastodon"), ("x", "bluesky", "mastodon")):
                    engine = any(outbox.due_dispatches(store, p) for p in platforms)
                    assert outbox.anything_due(store, platforms) is engine, (held, state, platforms)
                    checked.add(engine)
        assert checked == {True, False}  # both answers came up
    finally:
        store.close()
