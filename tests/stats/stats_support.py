"""Helpers for the stats tests: a config with [stats], and reading the snapshots back (either backend)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from delivery.delivery_support import Setup, rows


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
    return [_plain(r) for r in rows(state, "SELECT * FROM snapshots ORDER BY read_at, platform, dispatch_id, part")]


def replies(state: Path) -> list[dict[str, Any]]:
    return [_plain(r) for r in rows(state, "SELECT * FROM replies ORDER BY stored_at, remote_id")]


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    row.pop("rowid", None)  # PostgreSQL's insertion-order column (store_postgres): not a column of the schema
    return row
