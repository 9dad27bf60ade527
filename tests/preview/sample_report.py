"""Report data for the report tests and the README screenshot: the shape of
`audience.snapshots.stats_json(detail=True, with_replies=True)`, with CJK and right-to-left
titles, threads and teasers, a curve per post, and a reply holding a script."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
SCRIPT_REPLY = '<script>alert("pwned")</script><img src=x onerror=alert(1)> look at page 3'
TITLES = (
    "River floods the lower town; council meets tonight",
    "東京の地下鉄、終電を延長へ",
    "الأمطار الغزيرة تغلق الطرق في المدينة",
    "Budget vote: what changed in the final draft",
    "שריפה בפארק הלאומי נשלטה",
    "Schools reopen after the storm",
)


def _iso(t: datetime) -> str:
    return t.isoformat(timespec="seconds").replace("+00:00", "Z")


def _post(url: str, sent: datetime, scale: int, *, quotes: bool = True) -> dict[str, Any]:
    curve = []
    for hours, share in ((1, 0.3), (24, 0.8), (168, 1.0)):
        figures = {"likes": int(10 * scale * share), "reposts": int(3 * scale * share),
                   "replies": int(2 * scale * share), "quotes": int(scale * share) if quotes else None}
        curve.append({"read_at": _iso(sent + timedelta(hours=hours)), **figures})
    return {"url": url, **{k: v for k, v in curve[-1].items() if k != "read_at"}, "read_at": curve[-1]["read_at"],
            "curve": curve}


def report_data(n: int = 6) -> dict[str, Any]:
    dispatches = []
    for i in range(n):
        sent = T0 + timedelta(days=i, hours=3 * i)
        platforms: dict[str, Any] = {}
        for platform, parts, scale in (("x", 1, 2 + i), ("bluesky", 1 + (i % 2) * 2, 4 + i),
                                       ("mastodon", 1 + (i % 3 == 0) * 3, 3 + 2 * i)):
            posts = [_post(f"https://{platform}.example/{i}/{k}", sent, scale // (k + 1) + 1,
                           quotes=platform != "mastodon") for k in range(parts)]
            sums = {f: (sum(p[f] for p in posts) if all(p[f] is not None for p in posts) else None)
                    for f in ("likes", "reposts", "replies", "quotes")}
            platforms[platform] = {"platform": platform, **sums, "posts": posts, "sent_at": _iso(sent),
                                   "of_parts": parts, "latest_replies": []}
        platforms["mastodon"]["latest_replies"] = [
            {"author": "@reader@example.social", "text": "Which street was closed first?",
             "url": f"https://mastodon.example/@reader/{i}", "created_at": _iso(sent + timedelta(hours=2)), "part": 1}]
        if i == 0:
            platforms["bluesky"]["latest_replies"] = [
                {"author": "mallory.bsky.social", "text": SCRIPT_REPLY, "url": "javascript:alert(1)",
                 "created_at": _iso(sent + timedelta(hours=1)), "part": 1}]
        dispatches.append({"id": f"tag:example.org,2026:{i}", "title": TITLES[i % len(TITLES)],
                           "url": f"https://example.org/2026/{i}", "published": _iso(sent - timedelta(minutes=5)),
                           "platforms": platforms})
    return {"dispatches": dispatches}
