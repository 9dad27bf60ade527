"""The plan as JSON: the schema of `dry-run --format json`, also how the outbox stores posts.

Using one encoding for both means what dry-run shows is, byte for byte, what
the outbox will send. The schema is documented in the README.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from syndicate.model import Card, DispatchPlan, Facet, Image, Post


def post_to_json(post: Post) -> dict[str, Any]:
    return {
        "text": post.text,
        "length": post.length,
        "limit": post.limit,
        "facets": [
            {"type": f.kind, "byteStart": f.byte_start, "byteEnd": f.byte_end, "value": f.value}
            for f in post.facets
        ],
        "card": None if post.card is None else {
            "uri": post.card.uri, "title": post.card.title,
            "description": post.card.description, "image": post.card.image_url,
        },
        "images": [{"url": i.url, "alt": i.alt} for i in post.images],
        "language": post.language,
        "spoiler_text": post.spoiler_text,
    }


def post_from_json(data: dict[str, Any]) -> Post:
    card = data.get("card")
    return Post(
        text=data["text"],
        length=data["length"],
        limit=data["limit"],
        facets=tuple(Facet(f["type"], f["byteStart"], f["byteEnd"], f["value"]) for f in data.get("facets", [])),
        card=None if not card else Card(card["uri"], card["title"], card["description"], card.get("image")),
        images=tuple(Image(i["url"], i.get("alt", "")) for i in data.get("images", [])),
        language=data.get("language"),
        spoiler_text=data.get("spoiler_text"),
    )


def dispatch_to_json(plan: DispatchPlan) -> dict[str, Any]:
    d = plan.dispatch
    return {
        "id": d.id,
        "feed": d.feed,
        "title": d.title,
        "url": d.url,
        "published": d.published.isoformat() if d.published else None,
        "warnings": [{"code": w.code, "message": w.message, "blocking": w.blocking} for w in plan.warnings],
        # Keyed by account name (the default accounts keep the keys x, bluesky, mastodon).
        "platforms": {
            p.name: {"platform": p.platform, "posts": [post_to_json(post) for post in p.posts], "skipped": p.skipped}
            for p in plan.platforms
        },
    }


def plan_to_json(plans: list[dict[str, Any]], *, accounts: dict[str, dict[str, str | None]],
                 generated_at: datetime) -> dict[str, Any]:
    return {"generated_at": generated_at.isoformat(), "accounts": accounts, "dispatches": plans}
