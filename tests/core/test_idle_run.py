"""An idle cron run (every feed answers 304) is quiet and never loads a platform SDK."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from core.feedgen import item, rss

PROBE = """
import json, runpy, sys
sys.argv = ["syndicate", "run", "--config", sys.argv[1]]
code = 0
try:
    runpy.run_module("syndicate", run_name="__main__")
except SystemExit as exc:
    code = exc.code or 0
sdks = sorted({m.split(".")[0] for m in sys.modules} & {"tweepy", "atproto", "atproto_client", "mastodon"})
print(json.dumps({"code": code, "sdks": sdks, "feedparser": "feedparser" in sys.modules}), file=sys.stderr)
"""


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
        first = subprocess.run([sys.executable, "-c", PROBE, str(cfg)], capture_output=True, text=True, timeout=60)
        assert json.loads(first.stderr.strip().splitlines()[-1])["code"] == 0, first.stderr
        second = subprocess.run([sys.executable, "-c", PROBE, str(cfg)], capture_output=True, text=True, timeout=60)
        report = json.loads(second.stderr.strip().splitlines()[-1])
        assert report == {"code": 0, "sdks": [], "feedparser": False}  # 304: nothing parsed, nothing loaded
        assert second.stdout == ""  # cron mails any output: an idle run prints nothing
    finally:
        server.shutdown()
