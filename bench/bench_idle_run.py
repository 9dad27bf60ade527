"""How much an idle cron run costs: `syndicate run` when every feed answers 304.

Baselines: `python3 -c pass` (starting Python), the standard-library floor (importing only
ssl, http.client, sqlite3 and tomllib: what any idle run against an HTTPS feed must load), that
floor plus click and httpx (our CLI and HTTP stack), and feed2toot 0.17
(`pip install feed2toot` into a venv; pass its `feed2toot` path with
--feed2toot, or put it at /work/bench-venv/bin/feed2toot) with a populated cache
on the same feed. Like `pip install`, the bench first compiles syndicate's bytecode (the
libraries' and feed2toot's are compiled at install time; an editable checkout under
PYTHONDONTWRITEBYTECODE=1 would otherwise recompile every module on every run, ~30 ms that no
installed copy pays); --no-compile measures the checkout as it is. Also reports the peak RSS of
the idle run and of a run that parses a ~10 MB feed (200 entries of ~50 KB, first sight with
backfill 0).

    .venv/bin/python bench/bench_idle_run.py [--runs 15] [--feed2toot PATH] [--no-compile]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _feedserver import serve  # noqa: E402

HERE = Path(__file__).resolve().parent
FEED = (HERE.parent / "examples" / "dispatches.xml").read_bytes()


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{cmd[0]} failed: {proc.stderr.read().decode() if proc.stderr else ''}")
    return elapsed, usage.ru_maxrss


def config(tmp: Path, url: str, backfill: int = 1) -> Path:
    path = tmp / f"syndicate-{backfill}.toml"
    path.write_text(f"""
[state]
path = "state-{backfill}.db"
[[feeds]]
url = "{url}"
name = "bench"
backfill = {backfill}
[x]
enabled = true
api_base = "http://127.0.0.1:9"
[bluesky]
enabled = true
handle = "bench.test"
service = "http://127.0.0.1:9"
[mastodon]
enabled = true
instance = "http://127.0.0.1:9"
""")
    return path


def big_feed(entries: int = 200, size: int = 50_000) -> bytes:
    para = "<p>" + ("Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 20) + "</p>"
    body = para * (size // len(para))
    items = "".join(
        f"<item><title>Entry {i}</title><link>https://big.example.org/{i}</link><guid>big-{i}</guid>"
        f"<description><![CDATA[{body}]]></description></item>" for i in range(entries))
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title><link>https://big.example.org/</link>'
            f"<description>b</description>{items}</channel></rss>").encode()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--feed2toot", default="/work/bench-venv/bin/feed2toot")
    ap.add_argument("--no-compile", action="store_true", help="don't compile syndicate's bytecode first")
    args = ap.parse_args()
    if not args.no_compile:
        # The package the `syndicate` script will import (PYTHONPATH first, like the child will).
        probe = "import syndicate, os; print(os.path.dirname(syndicate.__file__))"
        where = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout.strip()
        subprocess.run([sys.executable, "-m", "compileall", "-q", where], check=True)
    syndicate = [str(Path(sys.executable).with_name("syndicate"))]
    server, url = serve(FEED)
    rows = []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SYNDICATE_")}
        cfg = config(tmp, url)
        subprocess.run([*syndicate, "run", "--config", str(cfg)], env=env, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # first sight: baseline + queue
        # Drain the queue so the measured runs have nothing due: mark every part skipped.
        import sqlite3

        db = sqlite3.connect(tmp / "state-1.db")
        db.execute("UPDATE parts SET state = 'skipped'")
        db.commit()
        db.close()
        measured = {
            "python3 -c pass": [sys.executable, "-c", "pass"],
            # What any idle run must load before it can send one conditional GET to an HTTPS feed and
            # read a SQLite state and a TOML config, with nothing else: the floor under the bound.
            "floor: import ssl, http.client, sqlite3, tomllib":
                [sys.executable, "-c", "import ssl, http.client, sqlite3, tomllib"],
            "floor + import click, httpx": [sys.executable, "-c", "import ssl, http.client, sqlite3, tomllib, click, httpx"],
            "syndicate run (all 304)": [*syndicate, "run", "--config", str(cfg)],
        }
        if Path(args.feed2toot).exists():
            ini = tmp / "feed2toot.ini"
            (tmp / "client.txt").write_text("id\nsecret\nhttp://127.0.0.1:9\n")
            (tmp / "user.txt").write_text("token\nhttp://127.0.0.1:9\n")
            ini.write_text(f"[mastodon]\ninstance_url=http://127.0.0.1:9\nuser_credentials={tmp}/user.txt\n"
                           f"client_credentials={tmp}/client.txt\n"
                           f"[cache]\ncachefile={tmp}/f2t.db\n[lock]\nlock_file={tmp}/f2t.lock\n"
                           f"[rss]\nuri={url}\ntoot={{title}} {{link}}\n")
            subprocess.run([args.feed2toot, "-c", str(ini), "-p"], check=True, stdout=subprocess.DEVNULL)
            measured["feed2toot 0.17 (cache populated)"] = [args.feed2toot, "-c", str(ini)]
        results = {}
        for name, cmd in measured.items():
            timed(cmd, env)  # warm the page cache
            samples = [timed(cmd, env) for _ in range(args.runs)]
            results[name] = (statistics.median(s[0] for s in samples), max(s[1] for s in samples))
        base = results["python3 -c pass"][0]
        for name, (wall, rss) in results.items():
            rows.append((name, wall * 1000, wall / base, rss / 1024))
        big_server, big_url = serve(big_feed())
        big_cfg = config(tmp, big_url, backfill=0)
        size = len(big_feed())
        wall, rss = timed([*syndicate, "run", "--config", str(big_cfg)], env)
        rows.append((f"syndicate run, first sight of a {size / 1e6:.1f} MB feed", wall * 1000, wall / base,
                     rss / 1024))
        big_server.shutdown()
    server.shutdown()
    print(f"{'command':48} {'median ms':>10} {'× python':>9} {'peak RSS MiB':>13}")
    for name, ms, ratio, rss in rows:
        print(f"{name:48} {ms:10.1f} {ratio:9.2f} {rss:13.1f}")
    compiled = "not compiled first (--no-compile)" if args.no_compile else "compiled first, as pip install does"
    print(f"({args.runs} runs each; baseline: python3 -c pass; syndicate {compiled})")


if __name__ == "__main__":
    main()
