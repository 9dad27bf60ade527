"""The report's charts, drawn by matplotlib as inline SVG (no hand-made chart geometry).

Every chart takes the report's data (`audience.snapshots.stats_json(detail=True)`) and returns
one `<svg>` element as text, or None when there is nothing to draw. Charts hold numbers and
network names only (dispatches are labelled #1, #2 … as in the page's list), so no feed text
ever reaches the SVG. Text stays text (`svg.fonttype = none`): the page's fonts draw it, and a
mid grey on a transparent background reads in light and dark.

matplotlib is imported here only, and this module only by the report: no other command pays for it.
"""

from __future__ import annotations

import io
import statistics
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from syndicate.model import PLATFORM_NAMES

COLORS = {"x": "#8c8c8c", "bluesky": "#1185fe", "mastodon": "#6364ff"}
INK = "#8a8a8a"  # axes and labels: readable on white and on near-black
MOST_DISPATCHES = 20  # per-dispatch bars: the newest this many
AGE_BINS = (0.0, 2.0, 12.0, 36.0, 96.0, 240.0, 720.0, float("inf"))  # hours since posting
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
FIGURES = ("likes", "reposts", "replies", "quotes")


def engagement(figures: Mapping[str, Any]) -> int:
    """Likes + reposts + replies + quotes, counting what the network reports."""
    return sum(int(figures[f]) for f in FIGURES if figures.get(f) is not None)


def _when(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")) if iso else None


def all_charts(data: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(id, title, svg) of every chart there is something to draw for."""
    dispatches = list(data.get("dispatches") or [])
    out = []
    makers: Sequence[tuple[str, str, Callable[[list[Mapping[str, Any]]], str | None]]] = (
        ("per-network", "Engagement per network, newest dispatches", per_network),
        ("curve", "The curve after posting (median per post)", curve),
        ("timing", "Engagement by hour and weekday of posting (mean per post, UTC)", timing),
        ("teaser-thread", "Teaser against thread (mean per dispatch)", teaser_vs_thread),
    )
    for key, title, make in makers:
        svg = make(dispatches)
        if svg is not None:
            out.append((key, title, svg))
    return out


def _accounts(dispatches: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(account, platform) in the order networks are listed everywhere."""
    seen: dict[str, str] = {}
    for d in dispatches:
        for name, acct in d["platforms"].items():
            seen.setdefault(name, acct["platform"])
    order = list(PLATFORM_NAMES)
    return sorted(seen.items(), key=lambda kv: (order.index(kv[1]) if kv[1] in order else 99, kv[0]))


def _label(account: str, platform: str) -> str:
    name = PLATFORM_NAMES.get(platform, platform)
    return name if account == platform else f"{name} ({account})"


def per_network(dispatches: list[Mapping[str, Any]]) -> str | None:
    numbered = list(enumerate(dispatches[:MOST_DISPATCHES], start=1))[::-1]  # oldest left
    shown = [d for _, d in numbered]
    accounts = _accounts(shown)
    if not shown or not accounts:
        return None
    plt = _pyplot()
    fig, ax = _figure(plt, 9, 3.2)
    width = 0.8 / len(accounts)
    for i, (account, platform) in enumerate(accounts):
        xs = [n + i * width for n in range(len(shown))]
        ys = [engagement(d["platforms"][account]) if account in d["platforms"] else 0 for d in shown]
        ax.bar(xs, ys, width, label=_label(account, platform), color=COLORS.get(platform, INK))
    ax.set_xticks([n + 0.4 - width / 2 for n in range(len(shown))], [f"#{k}" for k, _ in numbered])
    ax.set_ylabel("likes + reposts + replies + quotes")
    ax.legend(frameon=False, labelcolor=INK)
    return _svg(plt, fig)


def curve(dispatches: list[Mapping[str, Any]]) -> str | None:
    points: dict[tuple[str, str], list[tuple[float, int]]] = {}
    for d in dispatches:
        for account, acct in d["platforms"].items():
            sent = _when(acct.get("sent_at"))
            if sent is None:
                continue
            for post in acct["posts"]:
                for s in post.get("curve") or []:
                    read = _when(s["read_at"])
                    if read is not None:
                        hours = max((read - sent).total_seconds() / 3600, 0.0)
                        points.setdefault((account, acct["platform"]), []).append((hours, engagement(s)))
    if not points:
        return None
    plt = _pyplot()
    fig, ax = _figure(plt, 9, 3.2)
    for (account, platform), pts in sorted(points.items(), key=lambda kv: list(PLATFORM_NAMES).index(kv[0][1])
                                           if kv[0][1] in PLATFORM_NAMES else 99):
        xs, ys = [], []
        for low, high in zip(AGE_BINS, AGE_BINS[1:], strict=False):
            inside = [p for p in pts if low <= p[0] < high]
            if inside:
                xs.append(statistics.median(h for h, _ in inside))
                ys.append(statistics.median(e for _, e in inside))
        ax.plot(xs, ys, marker="o", label=_label(account, platform), color=COLORS.get(platform, INK))
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xlabel("hours after posting")
    ax.set_ylabel("engagement per post")
    ax.legend(frameon=False, labelcolor=INK)
    return _svg(plt, fig)


def timing(dispatches: list[Mapping[str, Any]]) -> str | None:
    by_hour: dict[int, list[int]] = {}
    by_day: dict[int, list[int]] = {}
    for d in dispatches:
        for acct in d["platforms"].values():
            sent = _when(acct.get("sent_at"))
            if sent is None or all(acct.get(f) is None for f in FIGURES):
                continue
            by_hour.setdefault(sent.hour, []).append(engagement(acct))
            by_day.setdefault(sent.weekday(), []).append(engagement(acct))
    if not by_hour:
        return None
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2), gridspec_kw={"width_ratios": [3, 1.4]})
    for ax in (left, right):
        _style(ax)
    hours = list(range(24))
    left.bar(hours, [statistics.mean(by_hour[h]) if h in by_hour else 0 for h in hours], color=COLORS["bluesky"])
    left.set_xticks(range(0, 24, 3))
    left.set_xlabel("hour of posting (UTC)")
    left.set_ylabel("engagement per post")
    right.bar(range(7), [statistics.mean(by_day[k]) if k in by_day else 0 for k in range(7)], color=COLORS["mastodon"])
    right.set_xticks(range(7), WEEKDAYS)
    right.set_xlabel("weekday")
    return _svg(plt, fig)


def teaser_vs_thread(dispatches: list[Mapping[str, Any]]) -> str | None:
    groups: dict[tuple[str, str], dict[bool, list[int]]] = {}
    for d in dispatches:
        for account, acct in d["platforms"].items():
            if all(acct.get(f) is None for f in FIGURES):
                continue
            thread = int(acct.get("of_parts") or len(acct["posts"])) > 1
            groups.setdefault((account, acct["platform"]), {False: [], True: []})[thread].append(engagement(acct))
    if not groups:
        return None
    plt = _pyplot()
    fig, ax = _figure(plt, 9, 3.0)
    accounts = [a for a in _accounts(dispatches) if a in groups]
    for k, (kind, thread) in enumerate((("teaser", False), ("thread", True))):
        ys = [statistics.mean(groups[a][thread]) if groups[a][thread] else 0 for a in accounts]
        ax.bar([i + k * 0.4 for i in range(len(accounts))], ys, 0.4, label=kind,
               color=INK if thread else COLORS["bluesky"], alpha=0.9)
    ax.set_xticks([i + 0.2 for i in range(len(accounts))], [_label(*a) for a in accounts])
    ax.set_ylabel("engagement per dispatch")
    ax.legend(frameon=False, labelcolor=INK)
    return _svg(plt, fig)


# -- plumbing -----------------------------------------------------------------------------------

def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # no display, no GUI toolkit
    matplotlib.rcParams.update({
        "svg.fonttype": "none",  # text as text: the page's own fonts draw it
        "svg.hashsalt": "syndicate",  # stable ids: the same data gives the same page
        "font.family": "sans-serif", "font.size": 10,
        "text.color": INK, "axes.labelcolor": INK, "xtick.color": INK, "ytick.color": INK,
        "axes.edgecolor": INK,
    })
    import matplotlib.pyplot as plt

    return plt


def _figure(plt: Any, width: float, height: float) -> tuple[Any, Any]:
    fig, ax = plt.subplots(figsize=(width, height))
    _style(ax)
    return fig, ax


def _style(ax: Any) -> None:
    ax.set_facecolor("none")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _svg(plt: Any, fig: Any) -> str:
    fig.patch.set_alpha(0)
    fig.tight_layout()
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]  # the element only: no XML declaration or DOCTYPE inside HTML
