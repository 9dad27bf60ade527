"""The report page of `syndicate report --html`: one self-contained HTML file.

Per dispatch: its posts on each account, their latest numbers, and the newest replies; above
them the charts (preview/charts.py, inline SVG). Like the dry-run preview (preview/html.py):
Jinja2 with autoescaping on for everything, a CSP that forbids scripts and every load but
inline data, no external fonts or stylesheets, and links only when they are http(s)
(`_html_text.safe_href`). Titles and replies keep their own direction (`dir="auto"`), so
right-to-left and CJK titles read as written; light and dark follow the reader's system.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from syndicate.model import PLATFORM_NAMES
from syndicate.preview._html_text import safe_href

__all__ = ["render_report", "write_report"]

FIGURES = ("likes", "reposts", "replies", "quotes")


def render_report(data: Mapping[str, Any], *, generated_at: datetime | None = None) -> str:
    from syndicate.preview.charts import all_charts  # matplotlib: only when a report is drawn

    dispatches = list(data.get("dispatches") or [])
    charts = [(key, title, Markup(svg)) for key, title, svg in all_charts(data)] if dispatches else []
    when = generated_at or datetime.now(UTC)
    return _template().render(
        dispatches=[_view(i, d) for i, d in enumerate(dispatches, start=1)],
        charts=charts, figures=FIGURES, generated_at=when.strftime("%Y-%m-%d %H:%M UTC"),
    )


def write_report(data: Mapping[str, Any], path: Path) -> Path:
    page = render_report(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


def _view(number: int, d: Mapping[str, Any]) -> dict[str, Any]:
    accounts = []
    for name, acct in d["platforms"].items():
        accounts.append({
            "name": name, "platform": acct["platform"], "label": PLATFORM_NAMES.get(acct["platform"], acct["platform"]),
            "figures": [_figure(acct.get(f)) for f in FIGURES],
            "posts": [{"href": safe_href(p.get("url") or ""), "url": p.get("url") or "",
                       "figures": [_figure(p.get(f)) for f in FIGURES], "read_at": p.get("read_at") or "never"}
                      for p in acct["posts"]],
            "replies": [{"author": r["author"], "text": r["text"], "href": safe_href(r.get("url") or ""),
                         "created_at": r.get("created_at") or ""} for r in acct.get("latest_replies") or []],
        })
    return {"number": number, "id": d["id"], "title": d["title"], "href": safe_href(d.get("url") or ""),
            "url": d.get("url") or "", "published": d.get("published") or "", "accounts": accounts}


def _figure(value: Any) -> str:
    return "–" if value is None else str(value)


@functools.cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("syndicate.preview", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    return env.get_template("report.html.j2")
