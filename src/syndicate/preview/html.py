"""The HTML preview of a dry-run plan: one self-contained page, each post drawn the way followers see it.

`render_html(plan)` takes the dry-run JSON (the same plan `run` would post) and
returns a single HTML document: inline CSS, no JavaScript, no external fonts,
scripts or stylesheets; images are linked to their source URLs. For each
dispatch there is a column per platform, with its posts as cards in that
network's own layout.

Feed content is untrusted, so the page is rendered by Jinja2 with autoescaping
on for everything, and every URL that becomes an `href` or `src` must be
http(s) (or a `data:image/...` URI for images): a feed cannot smuggle a
`javascript:` link in through a facet or a card.

Links, hashtags and mentions are highlighted exactly where the platform makes
them clickable: on Bluesky only where the post carries a facet (UTF-8 byte
offsets, so we slice bytes, not `str` indices); on X and Mastodon where the
platform detects them itself, which we mimic (X also links bare domains).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2

from syndicate.model import PLATFORM_NAMES
from syndicate.preview import _html_text
from syndicate.preview._html_text import Segment, safe_href, safe_src

__all__ = ["render_html", "write_html"]

PLATFORM_ORDER: tuple[str, ...] = ("x", "bluesky", "mastodon")
PLATFORM_LABELS: Mapping[str, str] = PLATFORM_NAMES
# Shown when the config names no account, so the card still has the right shape.
HANDLE_FALLBACKS: Mapping[str, str] = {
    "x": "@handle",
    "bluesky": "@handle.bsky.social",
    "mastodon": "@handle@instance",
}


@dataclass(frozen=True)
class Account:
    name: str
    handle: str
    initials: str
    placeholder: bool  # True when the config gave neither name nor handle


@dataclass(frozen=True)
class ImageView:
    src: str | None  # None when the URL is not one a browser should load (then only the alt shows)
    href: str | None
    alt: str


@dataclass(frozen=True)
class CardView:
    href: str | None
    title: str
    description: str
    domain: str
    image: str | None


@dataclass(frozen=True)
class PostView:
    number: int
    total: int
    segments: tuple[Segment, ...]
    length: int
    limit: int
    card: CardView | None
    images: tuple[ImageView, ...]
    language: str | None
    spoiler_text: str | None
    notes: tuple[str, ...]  # problems found while rendering (e.g. a facet on a broken byte range)

    @property
    def over(self) -> bool:
        return self.length > self.limit


@dataclass(frozen=True)
class ColumnView:
    platform: str
    label: str
    account: Account
    posts: tuple[PostView, ...]
    skipped: str | None


@dataclass(frozen=True)
class WarningView:
    code: str
    message: str
    blocking: bool


@dataclass(frozen=True)
class DispatchView:
    id: str
    anchor: str
    title: str
    href: str | None
    url: str
    feed: str
    published: str | None
    language: str | None
    warnings: tuple[WarningView, ...]
    columns: tuple[ColumnView, ...]

    @property
    def blocked(self) -> bool:
        return any(w.blocking for w in self.warnings)


def render_html(plan: Mapping[str, Any], *, generated_at: datetime | None = None) -> str:
    """Render a dry-run plan (its JSON form) as one self-contained HTML page.

    `generated_at` overrides the plan's own `generated_at` (for reproducible output).
    Raises ValueError naming the place in the plan when it does not follow the schema.
    """
    when = generated_at or _parse_time(plan.get("generated_at")) or datetime.now(UTC)
    accounts = _mapping(plan.get("accounts", {}), "accounts")
    dispatches = tuple(
        _dispatch(_mapping(d, f"dispatches[{i}]"), i, accounts, f"dispatches[{i}]")
        for i, d in enumerate(_sequence(plan.get("dispatches", []), "dispatches"))
    )
    return _template().render(
        dispatches=dispatches,
        generated_at=_format_time(when),
        generated_at_iso=when.isoformat(),
        blocked=sum(1 for d in dispatches if d.blocked),
    )


def write_html(plan: Mapping[str, Any], path: Path) -> Path:
    """Render the plan and write it to `path` (UTF-8), creating parent directories; returns the path."""
    page = render_html(plan)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


@functools.cache
def _template() -> jinja2.Template:
    # autoescape=True (not select_autoescape): every variable is escaped, whatever the file name.
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("syndicate.preview", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("preview.html.j2")


def _dispatch(d: Mapping[str, Any], index: int, accounts: Mapping[str, Any], where: str) -> DispatchView:
    platforms = _mapping(d.get("platforms", {}), f"{where}.platforms")
    order = [p for p in PLATFORM_ORDER if p in platforms] + sorted(p for p in platforms if p not in PLATFORM_ORDER)
    columns = tuple(
        _column(name, _mapping(platforms[name], f"{where}.platforms.{name}"), accounts, f"{where}.platforms.{name}")
        for name in order
    )
    url = _str(d.get("url"), f"{where}.url", default="")
    published = _parse_time(d.get("published"))
    return DispatchView(
        id=str(d.get("id") or ""),
        anchor=f"d{index + 1}",
        title=_str(d.get("title"), f"{where}.title", default="") or "(untitled)",
        href=safe_href(url),
        url=url,
        feed=_str(d.get("feed"), f"{where}.feed", default=""),
        published=_format_time(published) if published else None,
        language=next((p.language for c in columns for p in c.posts if p.language), None),
        warnings=tuple(
            WarningView(
                code=_str(w.get("code"), f"{where}.warnings[{i}].code", default=""),
                message=_str(w.get("message"), f"{where}.warnings[{i}].message", default=""),
                blocking=bool(w.get("blocking", False)),
            )
            for i, w in enumerate(_mappings(d.get("warnings", []), f"{where}.warnings"))
        ),
        columns=columns,
    )


def _column(name: str, p: Mapping[str, Any], accounts: Mapping[str, Any], where: str) -> ColumnView:
    platform = _str(p.get("platform"), f"{where}.platform", default="") or name  # keyed by account name
    account = _account(platform, accounts.get(name))
    raw_posts = _mappings(p.get("posts", []), f"{where}.posts")
    total = len(raw_posts)
    skipped = p.get("skipped")
    return ColumnView(
        platform=platform,
        label=PLATFORM_LABELS.get(platform, platform.capitalize()) + ("" if name == platform else f" · {name}"),
        account=account,
        posts=tuple(
            _post(platform, post, i + 1, total, account, f"{where}.posts[{i}]") for i, post in enumerate(raw_posts)
        ),
        skipped=str(skipped) if skipped else None,
    )


def _post(platform: str, p: Mapping[str, Any], number: int, total: int, account: Account, where: str) -> PostView:
    text = _str(p.get("text"), f"{where}.text")
    notes: list[str] = []
    if platform == "bluesky":
        facets = _mappings(p.get("facets") or [], f"{where}.facets")
        segments, notes = _html_text.from_facets(text, facets)
    elif platform == "x":
        segments = _html_text.x_segments(text)
    else:
        segments = _html_text.mastodon_segments(text, instance=_instance(account.handle))
    card = p.get("card")
    return PostView(
        number=number,
        total=total,
        segments=tuple(segments),
        length=_int(p.get("length"), f"{where}.length"),
        limit=_int(p.get("limit"), f"{where}.limit"),
        card=_card(_mapping(card, f"{where}.card")) if card else None,
        images=tuple(
            ImageView(
                src=safe_src(_str(img.get("url"), f"{where}.images[{i}].url")),
                href=safe_href(_str(img.get("url"), f"{where}.images[{i}].url")),
                alt=_str(img.get("alt"), f"{where}.images[{i}].alt", default=""),
            )
            for i, img in enumerate(_mappings(p.get("images") or [], f"{where}.images"))
        ),
        language=_str(p.get("language"), f"{where}.language", default="") or None,
        spoiler_text=_str(p.get("spoiler_text"), f"{where}.spoiler_text", default="") or None,
        notes=tuple(notes),
    )


def _card(c: Mapping[str, Any]) -> CardView:
    uri = str(c.get("uri") or "")
    image = c.get("image")
    return CardView(
        href=safe_href(uri),
        title=str(c.get("title") or ""),
        description=str(c.get("description") or ""),
        domain=(urlsplit(uri).hostname or "").removeprefix("www.") if safe_href(uri) else "",
        image=safe_src(str(image)) if image else None,
    )


def _account(platform: str, raw: Any) -> Account:
    a = raw if isinstance(raw, Mapping) else {}
    handle = str(a.get("handle") or "").strip()
    name = str(a.get("name") or "").strip()
    if handle and not handle.startswith("@"):
        handle = "@" + handle
    shown_name = name or handle.lstrip("@").split("@")[0].split(".")[0] or "Your account"
    words = [w for w in shown_name.replace("_", " ").replace("-", " ").split() if w[:1].isalnum()]
    initials = "".join(w[0] for w in words[:2]).upper() or "?"
    return Account(
        name=shown_name,
        handle=handle or HANDLE_FALLBACKS.get(platform, "@handle"),
        initials=initials,
        placeholder=not (name or handle),
    )


def _instance(handle: str) -> str | None:
    """The Mastodon server in "@user@server", where the account's hashtag links point."""
    parts = handle.lstrip("@").split("@")
    return parts[1] if len(parts) == 2 and "." in parts[1] else None


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _format_time(t: datetime) -> str:
    t = t.astimezone(UTC)
    return f"{t.day} {t:%b %Y, %H:%M} UTC"


# Schema checks: the plan comes from our own producer, so a mismatch is a bug; say exactly where.


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"dry-run plan: {where} should be an object, not {type(value).__name__}")
    return value


def _sequence(value: Any, where: str) -> Sequence[Any]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise ValueError(f"dry-run plan: {where} should be a list, not {type(value).__name__}")
    return value


def _mappings(value: Any, where: str) -> list[Mapping[str, Any]]:
    return [_mapping(v, f"{where}[{i}]") for i, v in enumerate(_sequence(value, where))]


def _str(value: Any, where: str, *, default: str | None = None) -> str:
    if value is None and default is not None:
        return default
    if not isinstance(value, str):
        raise ValueError(f"dry-run plan: {where} should be a string, not {type(value).__name__}")
    return value


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"dry-run plan: {where} should be an integer, not {type(value).__name__}")
    return value
