"""`syndicate stats` as text: a table per dispatch, one row per account (a thread's posts summed).

Titles, handles and replies were written by others: every line goes through `_terminal.printable`,
so nothing in them acts on the terminal. A reply's HTML was made text when it was read; what is
left (a literal "<script>" someone typed) shows as the characters it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from syndicate._terminal import printable

FIGURES = ("likes", "reposts", "replies", "quotes")
NOT_REPORTED = "-"


def render_stats(data: Mapping[str, Any], *, with_replies: bool = False) -> str:
    dispatches = data.get("dispatches") or []
    if not dispatches:
        return ("No sent posts to show. Posts appear here once `syndicate run` has sent them; "
                "`syndicate stats` (without --cached) reads their numbers.\n")
    lines: list[str] = []
    # As wide as the longest account name ("ana-bsky", "desk-mastodon"), so the figures line up.
    width = max([10, *(len(name) for d in dispatches for name in d["platforms"])]) + 2
    for d in dispatches:
        lines.append(f"{d['title']}  <{d['url']}>")
        lines.append(f"  id {d['id']}" + (f" · published {d['published']}" if d.get("published") else ""))
        lines.append(f"  {'account':<{width}}{'posts':>6}" + "".join(f"{f:>9}" for f in FIGURES) + "  read")
        for name, acct in d["platforms"].items():
            read = max((p["read_at"] for p in acct["posts"] if p["read_at"]), default=None)
            cells = "".join(f"{_figure(acct[f]):>9}" for f in FIGURES)
            lines.append(f"  {name:<{width}}{len(acct['posts']):>6}{cells}  {read or 'never'}")
        if with_replies:
            for name, acct in d["platforms"].items():
                for r in acct.get("latest_replies") or []:
                    text = " ".join(str(r["text"]).split())
                    lines.append(f"    ↳ {name} {r['author']} ({r['created_at'] or '?'}): {text}")
                    if r.get("url"):
                        lines.append(f"      {r['url']}")
        lines.append("")
    return "".join(printable(line) + "\n" for line in lines)


def _figure(value: Any) -> str:
    return NOT_REPORTED if value is None else str(value)
