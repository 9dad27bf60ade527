"""The kill-after-store case on Mastodon, with and without the `read:statuses` scope.

`syndicate run` (the installed command, a subprocess) is SIGKILLed by
`fakes.killproxy.KillProxy` right after the instance stored the status and
before the answer arrived. The next run must look the status up before sending
anything. With the scopes the README lists, it finds it and completes. With the
scopes the README used to list (no `read:statuses`) the lookup is refused:
that run stops on Mastodon naming the scope (exit 1), posts nothing twice and
fails nothing; the part stays queued for when the token is fixed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from delivery.delivery_support import (
    MASTODON_CANARY,
    Setup,
    cli_env,
    entries,
    make_mastodon_fake,
    parts,
    release,
    run_cli,
    start_gated,
    write_feed,
)
from fakes.killproxy import KillProxy
from fakes.mastodon_api import API_STATUSES

from syndicate.platforms.mastodon import SCOPES

WITHOUT_READ_STATUSES = "write:statuses write:media read:accounts"


def _kill_after_the_post(setup: Setup, proxy: KillProxy, env: dict[str, str], k: int) -> None:
    proc = start_gated(setup.config, "run", env=env)
    proxy.arm(k, "after", proc.pid)
    release(proc)
    proc.communicate(timeout=90)
    assert proc.returncode == -9, "the run was not killed"
    assert proxy.killed is not None and proxy.killed[2:] == ("POST", API_STATUSES)


@pytest.mark.parametrize("scopes, completes", [(SCOPES, True), (WITHOUT_READ_STATUSES, False)])
def test_kill_after_store_completes_only_with_read_statuses(tmp_path: Path, scopes: str, completes: bool) -> None:
    env = cli_env(mastodon=MASTODON_CANARY)
    with make_mastodon_fake(scopes=scopes) as fake, KillProxy(fake.base_url) as proxy:
        # A clean run of another feed finds where in a run the status is posted (k).
        clean = Setup(tmp_path / "clean", feed="", mastodon=proxy.base_url, mode="teaser")
        clean.dir.mkdir(parents=True)
        clean.feed = str(write_feed(clean.dir / "feed.xml", entries(1, prefix="clean")))
        clean.write()
        proxy.disarm()
        assert run_cli(clean.config, "run", env=env).returncode == 0
        k = proxy.log.index(("POST", API_STATUSES)) + 1

        setup = Setup(tmp_path / "kill", feed="", mastodon=proxy.base_url, mode="teaser")
        setup.dir.mkdir(parents=True)
        setup.feed = str(write_feed(setup.dir / "feed.xml", entries(1, prefix="killed")))
        setup.write()
        _kill_after_the_post(setup, proxy, env, k)
        mine = [s for s in fake.statuses if "killed" in s.text]
        assert len(mine) == 1  # stored before the kill

        proxy.disarm()
        result = run_cli(setup.config, "run", env=env)
        (part,) = parts(setup.state, "mastodon")
        if completes:
            assert result.returncode == 0, result.stdout + result.stderr
            assert part["state"] == "sent" and part["remote_id"] == mine[0].id
        else:
            assert result.returncode == 1
            assert "read:statuses" in result.stdout + result.stderr
            assert part["state"] not in ("sent", "failed", "unknown")
        assert [s.id for s in fake.statuses if "killed" in s.text] == [mine[0].id]  # never posted twice
        assert MASTODON_CANARY not in result.stdout + result.stderr
