"""`syndicate run` as cron sees it: the installed command as a subprocess against the fakes and the PDS.

What it prints (nothing when nothing happened; one line per post; JSON that
parses), its exit status, a platform whose credentials are refused, secrets
that never show, two runs started together, and `dry-run` writing nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

from delivery_support import (
    MASTODON_CANARY,
    X_CANARY,
    Setup,
    cli_env,
    entries,
    make_mastodon_fake,
    make_x_fake,
    parts,
    release,
    run_cli,
    start_gated,
    states,
    thread_body,
    thread_entries,
    write_feed,
)
from pds.harness import PdsHandle


def _no_secrets(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text, "a secret leaked into the output"
    assert "CANARY" not in text


def test_run_prints_one_line_per_post_then_nothing_and_json_parses(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    items = entries(3, prefix="out")
    env = cli_env(x=True, mastodon=MASTODON_CANARY)
    with make_x_fake() as xf, make_mastodon_fake() as mf:
        setup = Setup(tmp_path, feed=str(write_feed(feed, items[:2])), x_api=xf.base_url, mastodon=mf.base_url,
                      mode="teaser", backfill=2)
        setup.write()
        first = run_cli(setup.config, "run", env=env)
        assert first.returncode == 0, first.stderr
        assert first.stderr == ""
        lines = first.stdout.splitlines()
        assert len(lines) == 4 == len(xf.tweets) + len(mf.statuses)
        assert sorted(line.split(":")[0] for line in lines) == ["Mastodon", "Mastodon", "X", "X"]
        for t in xf.tweets:
            assert sum(t.id in line for line in lines) == 1  # each line links its own post

        quiet = run_cli(setup.config, "run", env=env)
        assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")

        idle = run_cli(setup.config, "run", "--json", env=env)
        assert idle.returncode == 0
        assert json.loads(idle.stdout)["events"] == []

        write_feed(feed, items)
        busy = run_cli(setup.config, "run", "--json", env=env)
        assert busy.returncode == 0
        report = json.loads(busy.stdout)
        posted = [e for e in report["events"] if e["kind"] == "posted"]
        assert sorted(e["platform"] for e in posted) == ["mastodon", "x"]
        assert report["exit_code"] == 0 and report["accepted"] == 1
        assert len(xf.tweets) == len(mf.statuses) == 3


def test_refused_credentials_stop_only_that_platform_and_name_the_variable(tmp_path: Path, pds: PdsHandle) -> None:
    """X (bad access token secret) and Bluesky (bad app password) refuse; Mastodon posts. Exit 1, each
    message names its variable, the refused platforms' parts stay queued (not failed), and once the
    credentials are fixed everything goes out once. No secret shows in run, run --json, run -vv, status."""
    account = pds.accounts["bob"]
    bad_x = {**X_CANARY, "SYNDICATE_X_ACCESS_TOKEN_SECRET": "CANARYwrongsecret42"}
    bad_bsky = "CANARY-wrong-app-password"
    secrets = (*X_CANARY.values(), MASTODON_CANARY, bad_bsky, account.password, "CANARYwrongsecret42")
    with make_x_fake() as xf, make_mastodon_fake() as mf:
        setup = Setup(tmp_path, feed=str(write_feed(tmp_path / "feed.xml", entries(1, prefix="auth",
                      body=thread_body("auth")))), x_api=xf.base_url, mastodon=mf.base_url,
                      bluesky=(pds.url, account.handle))
        setup.write()
        env = cli_env(mastodon=MASTODON_CANARY, bluesky=bad_bsky, extra=bad_x)
        first = run_cli(setup.config, "run", env=env)
        assert first.returncode == 1
        assert "SYNDICATE_X_ACCESS_TOKEN" in first.stderr
        assert "SYNDICATE_BLUESKY_APP_PASSWORD" in first.stderr
        assert len(mf.statuses) == 4 and xf.tweets == []
        assert first.stdout.count("Mastodon: posted") == 4
        assert states(setup.state, "x") == ["planned"] * 4
        assert states(setup.state, "bluesky") == ["planned"] * 4
        outputs = [first.stdout + first.stderr]
        as_json = run_cli(setup.config, "run", "--json", env=env)
        assert as_json.returncode == 1
        report = json.loads(as_json.stdout)
        assert {e["platform"] for e in report["events"] if e["kind"] == "auth"} == {"x", "bluesky"}
        outputs.append(as_json.stdout + as_json.stderr)
        verbose = run_cli(setup.config, "run", "-vv", env=env)
        outputs.append(verbose.stdout + verbose.stderr)
        status = run_cli(setup.config, "status", env=env)
        assert status.returncode == 0
        outputs.append(status.stdout + status.stderr)
        for out in outputs:
            _no_secrets(out, *secrets)

        fixed = run_cli(setup.config, "run", env=cli_env(x=True, mastodon=MASTODON_CANARY,
                                                           bluesky=account.password))
        assert fixed.returncode == 0, fixed.stderr
        _no_secrets(fixed.stdout + fixed.stderr, *secrets)
    assert len(xf.tweets) == 4 and len(mf.statuses) == 4
    assert set(states(setup.state, "bluesky")) == {"sent"}


def test_two_runs_started_together_post_each_part_once(tmp_path: Path) -> None:
    env = cli_env(x=True, mastodon=MASTODON_CANARY)
    with make_x_fake() as xf, make_mastodon_fake() as mf:
        setup = Setup(tmp_path, feed=str(write_feed(tmp_path / "feed.xml", thread_entries(2, prefix="both"))), x_api=xf.base_url, mastodon=mf.base_url, backfill=2)
        setup.write()
        # Slow servers keep the first run busy while the second one starts.
        xf.faults.delay(0.15, n=100, method="POST")
        mf.delay_next(0.15, n=100, method="POST")
        procs = [start_gated(setup.config, "run", env=env) for _ in range(2)]
        for p in procs:
            release(p)
        results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [r[1] for r in results]
    n_parts = len(parts(setup.state))
    assert n_parts == 16 and set(states(setup.state, "x") + states(setup.state, "mastodon")) == {"sent"}
    assert len(xf.tweets) == len({t.text for t in xf.tweets}) == 8
    assert len(mf.statuses) == len({s.text for s in mf.statuses}) == 8
    # Not even a second attempt that the servers' duplicate checks would have caught:
    assert len(xf.calls("POST", "/2/tweets")) == 8
    assert len(mf.requests_to("POST", "/api/v1/statuses")) == 8
    posted_lines = b"".join(out for out, _ in results).decode().count(": posted")
    assert posted_lines == 16


def test_dry_run_and_status_write_nothing(tmp_path: Path) -> None:
    env = cli_env(x=True, mastodon=MASTODON_CANARY)
    feed = tmp_path / "feed.xml"
    items = entries(3, prefix="dry")
    with make_x_fake() as xf, make_mastodon_fake() as mf:
        setup = Setup(tmp_path, feed=str(write_feed(feed, items[:1])), x_api=xf.base_url, mastodon=mf.base_url,
                      mode="teaser")
        setup.write()
        assert run_cli(setup.config, "run", env=env).returncode == 0
        write_feed(feed, items)  # two new entries that dry-run will show and must not accept
        files_before = sorted(p.name for p in tmp_path.iterdir())
        before = setup.state.read_bytes()
        text = run_cli(setup.config, "dry-run", "--no-cards", env=env)
        assert text.returncode == 0 and "Dispatch dry 003" in text.stdout
        as_json = run_cli(setup.config, "dry-run", "--no-cards", "--format", "json", env=env)
        assert as_json.returncode == 0
        json.loads(as_json.stdout)
        assert run_cli(setup.config, "status", env=env).returncode == 0
        assert setup.state.read_bytes() == before
        # SQLite may leave its WAL sidecars after a read-only open; nothing is written to them.
        new = sorted(set(p.name for p in tmp_path.iterdir()) - set(files_before))
        assert set(new) <= {"state.db-wal", "state.db-shm"}, new
        wal = tmp_path / "state.db-wal"
        assert not wal.exists() or wal.stat().st_size == 0
        assert len(xf.tweets) == len(mf.statuses) == 1
