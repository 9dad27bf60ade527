"""`syndicate stats` and `syndicate report`: what followers did with each dispatch, and what they said.

`stats` reads the engagement of every post sent within `[stats] window_days` (unless `--cached`),
stores it as one snapshot per post, and returns the stats in the JSON shape of the README;
`report` renders the stored snapshots and replies as one page (preview/report.py).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from syndicate.audience import collect, snapshots
from syndicate.commands.status import UnknownDispatch, open_existing
from syndicate.settings import Settings

if TYPE_CHECKING:
    from syndicate.audience.collect import Outcome
    from syndicate.platforms.base import Reader


def gather(settings: Settings, *, dispatch_id: str | None = None, cached: bool = False, with_replies: bool = False,
           detail: bool = False, readers: Mapping[str, Reader] | None = None,
           now: float | None = None) -> tuple[dict[str, Any], Outcome | None]:
    """The stats (and what reading them did; None with `cached`). Raises UnknownDispatch (exit 2)
    for a dispatch id that is not there, or a missing state file."""
    now = time.time() if now is None else now
    store = open_existing(settings, "show")
    try:
        if dispatch_id is not None and not store.dispatch_exists(dispatch_id):
            raise UnknownDispatch(f"no dispatch with id {dispatch_id!r} in {store.where} (see `syndicate status`)")
        since = None if dispatch_id is not None else now - settings.stats.window_days * 86400
        outcome = None
        if not cached:
            posts = snapshots.sent_posts(store, since=since, dispatch_id=dispatch_id)
            outcome = collect.read(settings, store, posts, now=now, readers=readers)
        data = snapshots.stats_json(store, since=None if cached else since, dispatch_id=dispatch_id,
                                    with_replies=with_replies, detail=detail)
        return data, outcome
    finally:
        store.close()


def report_data(settings: Settings) -> dict[str, Any]:
    """Everything stored, for the report page: no network."""
    store = open_existing(settings, "report")
    try:
        return snapshots.stats_json(store, with_replies=True, detail=True)
    finally:
        store.close()


def reply_notes(settings: Settings) -> list[str]:
    """What `--replies` cannot show, said once."""
    return [f"{a.name}: replies are not read (X charges for each post a search returns; counts only, with "
            "stats = true)" for a in settings.enabled_accounts() if a.platform == "x"]
