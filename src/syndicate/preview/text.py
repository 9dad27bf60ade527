"""The terminal rendering of a plan: what `dry-run` prints by default.

Every value from the plan passes through `printable` before it is styled: feed
text must not drive the terminal, and our own styling must stay unescaped.
"""

from __future__ import annotations

import textwrap
from typing import Any

import click

from syndicate._terminal import printable
from syndicate.model import account_label


def render_text(plan: dict[str, Any], *, color: bool = False) -> str:
    def style(s: str, **kw: Any) -> str:
        s = printable(s)
        return click.style(s, **kw) if color else s

    dispatches = plan["dispatches"]
    if not dispatches:
        return "Nothing new to post.\n"
    out: list[str] = []
    for d in dispatches:
        out.append(style(d["title"] or "(untitled)", bold=True))
        out.append(printable(f"  {d['url']}"))
        meta = f"  feed: {d['feed']}"
        if d.get("published"):
            meta += f" · published {d['published']}"
        out.append(style(meta, dim=True))
        for w in d["warnings"]:
            mark = "HOLD" if w["blocking"] else "warning"
            out.append(style(f"  {mark}: {w['message']} [{w['code']}]", fg="red" if w["blocking"] else "yellow"))
        for account, pp in d["platforms"].items():
            name = account_label(account, pp.get("platform") or account)
            if pp["skipped"]:
                out.append(printable(f"  {name}: skipped ({pp['skipped']})"))
                continue
            posts = pp["posts"]
            kind = "teaser" if len(posts) == 1 else f"thread of {len(posts)}"
            out.append(style(f"  ── {name} ({kind})", fg="cyan", bold=True))
            for i, post in enumerate(posts, start=1):
                over = post["length"] > post["limit"]
                count = style(f"{post['length']}/{post['limit']}", fg="red" if over else "green")
                label = f"{i}/{len(posts)} " if len(posts) > 1 else ""
                out.append(f"    {label}[{count}]")
                for line in post["text"].split("\n"):
                    out.append(textwrap.indent(printable(line), "    │ ") if line else "    │")
                card = post.get("card")
                if card:
                    out.append(style(f"    card: {card['title']} — {card['uri']}", dim=True))
                    if card.get("image"):
                        out.append(style(f"          image: {card['image']}", dim=True))
                for img in post.get("images", []):
                    out.append(style(f"    image: {img['url']} (alt: {img['alt'] or 'none'})", dim=True))
                if post.get("facets"):
                    kinds = ", ".join(sorted({f["type"] for f in post["facets"]}))
                    out.append(style(f"    facets: {len(post['facets'])} ({kinds})", dim=True))
        out.append("")
    return "\n".join(out) + "\n"
