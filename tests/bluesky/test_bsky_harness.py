"""The PDS harness itself: loopback only, a clear failure when not installed; and the pure helpers."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pds import harness
from pds.harness import PdsHandle, PdsNotInstalled

from syndicate.platforms.bluesky.errors import parse_rate
from syndicate.platforms.bluesky.records import created_at, langs


def _listening(path: str) -> dict[int, set[str]]:
    """port → local addresses (hex, as /proc shows them) of LISTEN sockets."""
    out: dict[int, set[str]] = {}
    if not os.path.exists(path):
        return out
    for line in Path(path).read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] != "0A":  # TCP_LISTEN
            continue
        addr, port = fields[1].rsplit(":", 1)
        out.setdefault(int(port, 16), set()).add(addr)
    return out


@pytest.mark.skipif(not os.path.exists("/proc/net/tcp"), reason="needs Linux /proc/net/tcp to list sockets")
def test_every_server_of_the_launcher_listens_on_127_0_0_1_only(pds: PdsHandle) -> None:
    v4, v6 = _listening("/proc/net/tcp"), _listening("/proc/net/tcp6")
    ports = [urlsplit(u).port for u in (pds.url, pds.plc_url, pds.appview_url)]
    for port in ports:
        assert port is not None
        assert v4.get(port) == {"0100007F"}, f"port {port} listens on {v4.get(port)}"
        assert port not in v6


def test_missing_install_fails_with_the_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(harness, "NODE", tmp_path / "no-node")
    with pytest.raises(PdsNotInstalled, match=r"run tests/pds/install\.sh"):
        harness.start_pds()


def test_calls_are_counted_per_xrpc_method(pds: PdsHandle) -> None:
    import httpx

    before = pds.call_count("com.atproto.server.describeServer")
    httpx.get(f"{pds.url}/xrpc/com.atproto.server.describeServer", timeout=10).raise_for_status()
    assert pds.call_count("com.atproto.server.describeServer") == before + 1


def test_parse_rate_reads_bluesky_headers() -> None:
    rate = parse_rate({"ratelimit-limit": "3000", "ratelimit-remaining": "2990",
                       "ratelimit-reset": "1795880000", "ratelimit-policy": "3000;w=300"})
    assert rate is not None
    assert (rate.limit, rate.remaining, rate.reset) == (3000, 2990, 1795880000.0)
    assert parse_rate({"content-type": "application/json"}) is None  # limits off: no information
    assert parse_rate({"ratelimit-remaining": "soon"}) is None


def test_langs_and_created_at() -> None:
    assert langs("pt_BR") == ["pt-BR"]
    assert langs("en, de, fr, it") == ["en", "de", "fr"]  # the lexicon allows 3
    assert langs("not a language!") is None
    assert langs(None) is None
    assert created_at(0.5) == "1970-01-01T00:00:00.500Z"


def test_stale_node_modules_fail_with_the_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    stamp = tmp_path / ".syndicate-stamp"
    stamp.write_text("0" * 64 + "\n")  # installed from some other package-lock.json
    monkeypatch.setattr(harness, "STAMP", stamp)
    with pytest.raises(PdsNotInstalled, match=r"out of date with package-lock\.json: run tests/pds/install\.sh"):
        harness.check_installed()


def test_the_current_install_passes_the_check() -> None:
    harness.check_installed()  # the session's PDS started from it; the stamp must agree
