"""`syndicate dry-run`: the real pipeline against a throw-away copy of the state.

The state file is copied into memory (`Store.open_readonly`), the feeds are
polled and new dispatches accepted into that copy exactly as `run` would, and
then the outbox's pending plans are rendered, with the deletes of retracted
dispatches still to carry out (`retractions`). Nothing is written to disk and no
platform is contacted: the only requests are feed fetches and, for Bluesky link
cards, the article pages (unless --no-cards); with `[corrections] retract_when_gone`,
the HEADs of recent articles `run` would send (a 410 shows as a pending retraction).
Changed dispatches show under `corrections`.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from syndicate.delivery import intake, outbox
from syndicate.errors import FeedError
from syndicate.jsonplan import dispatch_to_json, plan_to_json
from syndicate.settings import Settings
from syndicate.store import open_state


def dry_run_plan(settings: Settings, *, show_all: bool = False,
                 fetch_cards: bool = True) -> tuple[dict[str, Any], list[FeedError]]:
    store = open_state(settings, readonly=True)
    started = time.time()
    try:
        prepared = intake.prepare(settings, store, ignore_state=show_all, fetch_cards=fetch_cards)
        if show_all:
            dispatches = [dispatch_to_json(p) for p in prepared.accepted]
        else:
            dispatches = outbox.pending_plans(store)
        retractions = [] if show_all else outbox.pending_retractions(store)
        # Corrections queued to send, and those this pass noted without sending (updates = "off").
        corrections = [] if show_all else outbox.pending_corrections(store, noted_since=started)
    finally:
        store.close()
    plan = plan_to_json(dispatches, accounts=intake.accounts(settings), generated_at=datetime.now(UTC))
    plan["retractions"] = retractions
    plan["corrections"] = corrections
    return plan, prepared.errors


def correction_lines(plan: dict[str, Any]) -> list[str]:
    """One line per correction the next run would send (or, with updates = "off", would say)."""
    from syndicate.model import PLATFORM_NAMES as NAMES

    lines = []
    for d in plan.get("corrections") or []:
        for c in d["corrections"]:
            how = {"reply": "reply", "edit": "edit to"}[c["action"]]
            off = " (not sent: [corrections] updates = \"off\")" if c["state"] == "off" else ""
            where = NAMES.get(c["platform"], c["platform"])
            lines.append(f"Changed since posted: {d['title']!r} (id {d['id']}): {where} correction {c['number']}, "
                         f"{how}: {c['text']!r}{off}")
    return lines


def retraction_lines(plan: dict[str, Any]) -> list[str]:
    """One line per retracted dispatch whose deletes the next run would carry out."""
    from syndicate.model import PLATFORM_NAMES as NAMES

    lines = []
    for r in plan.get("retractions") or []:
        # Keyed by account: the default accounts are named like their network.
        where = ", ".join(f"{len(parts)} on {NAMES.get(a, a)}" for a, parts in sorted(r["deletes"].items()))
        lines.append(f"Pending retraction: {r['title']!r} <{r['url']}> (id {r['id']}): deletes {where}")
    return lines
