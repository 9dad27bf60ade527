"""Helpers for the stats tests: a config with [stats], and reading the snapshots back with sqlite3."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from delivery.delivery_support import Setup


def write_with_stats(setup: Setup, **stats: Any) -> Path:
    """The setup's config plus a [stats] table (TOML values written as given)."""
    path = setup.write()
    lines = ["", "[stats]"] + [f"{k} = {_toml(v)}" for k, v in stats.items()]
    path.write_text(path.read_text(encoding="utf-8") + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def snapshots(state: Path) -> list[dict[str, Any]]:
    conn = sqlite3.connect(f"{state.resolve().as_uri()}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM snapshots ORDER BY read_at, platform, dispatch_id, part")]
    finally:
        conn.close()


def replies(state: Path) -> list[dict[str, Any]]:
    conn = sqlite3.connect(f"{state.resolve().as_uri()}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM replies ORDER BY stored_at, remote_id")]
    finally:
        conn.close()
