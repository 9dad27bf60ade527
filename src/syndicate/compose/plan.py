"""The composer's entry point: a `Dispatch` (plus card metadata fetched beforehand) → a `DispatchPlan`.

Pure: no I/O, no clock. One `PlatformPlan` per requested platform, in order,
each built with that platform's own `ComposeSettings` (teaser or thread,
template, hashtags, UTM, short links, cards) and measured with that
platform's own rule (`compose.length.measure`, with the account's `Limits`
when known — the Mastodon instance's limit and URL weight). Every post that
leaves here has been measured valid; a platform whose post cannot be made to
fit (a template whose fixed text alone is too long) is skipped with a reason.

Per platform: Bluesky posts get facets (computed on each final text) and the
first post the link card; X and Mastodon get the dispatch's image on the first
post (Bluesky too, when cards are off). Every post carries the dispatch's
language.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from urllib.parse import urlsplit, urlunsplit

from syndicate.compose.facets import detect_facets, find_links, short_url
from syndicate.compose.hashtags import hashtags
from syndicate.compose.length import graphemes, measure
from syndicate.compose.lint import lint_dispatch
from syndicate.compose.sentences import Paragraph, one_line, split_paragraphs
from syndicate.compose.teaser import Fields, fit_teaser, truncate, validate_template
from syndicate.compose.thread import compose_thread
from syndicate.model import (
    PLATFORMS,
    Card,
    Dispatch,
    DispatchPlan,
    Image,
    Limits,
    PlatformPlan,
    Post,
)
from syndicate.settings import ComposeSettings

__all__ = ["CARD_DESCRIPTION", "add_utm", "card_for", "lint_dispatch", "plan_dispatch"]

CARD_DESCRIPTION = 300  # graphemes; longer card descriptions are cut at a word with "…"
MODES = ("teaser", "thread")

_Fits = Callable[[str], bool]


def plan_dispatch(
    dispatch: Dispatch,
    *,
    platforms: Sequence[str],
    compose: Mapping[str, ComposeSettings],
    limits: Mapping[str, Limits] | None = None,
    card: Card | None = None,
    hold: bool = False,
    spoilers: Mapping[str, str] | None = None,
) -> DispatchPlan:
    """Everything `run` would send for `dispatch`, per platform, plus its lint warnings.

    `spoilers` (platform → content warning, i.e. Mastodon's `spoiler_text`) is
    optional: given, every post of that platform carries it and is measured
    with it (it counts toward Mastodon's limit); not given, posts carry none.

    Raises ValueError for an unknown platform, mode or template field (config
    validation catches these first; this names them if it did not).
    """
    settings = {p: compose.get(p, ComposeSettings()) for p in platforms}
    for platform, s in settings.items():
        if platform not in PLATFORMS:
            raise ValueError(f"unknown platform {platform!r}; expected one of {', '.join(PLATFORMS)}")
        if s.mode not in MODES:
            raise ValueError(f"compose.{platform}.mode: unknown mode {s.mode!r}; expected 'teaser' or 'thread'")
        problem = validate_template(s.template)
        if problem:
            raise ValueError(f"compose.{platform}.template: {problem}")
    threaded = any(s.mode == "thread" for s in settings.values())
    warnings = lint_dispatch(dispatch, thread=threaded, hold=hold)
    # Shared by every platform, so a paragraph is split into sentences (if at all) only once.
    body = split_paragraphs(dispatch.text, dispatch.language) if threaded else ()
    # Title and summary on one line once, not once per platform: a summary can be a whole article.
    flat = replace(dispatch, title=one_line(dispatch.title), summary=one_line(dispatch.summary))
    plans = tuple(
        _plan_platform(flat, p, settings[p], (limits or {}).get(p), card, body, (spoilers or {}).get(p) or None)
        for p in platforms
    )
    return DispatchPlan(dispatch=dispatch, platforms=plans, warnings=warnings)


def _plan_platform(
    dispatch: Dispatch,
    platform: str,
    s: ComposeSettings,
    limits: Limits | None,
    card: Card | None,
    body: tuple[Paragraph, ...],
    spoiler: str | None,
) -> PlatformPlan:
    link = add_utm(dispatch.url, platform) if s.utm else dispatch.url

    def fits(text: str) -> bool:
        return measure(platform, text, limits=limits, spoiler_text=spoiler).valid

    title, summary = dispatch.title, dispatch.summary  # on one line already (plan_dispatch)
    if summary.casefold() == title.casefold():
        summary = ""  # feeds without a summary often repeat the title there
    lede = _squash(summary) if s.mode == "thread" else ""
    if s.mode == "thread" and summary and _squash_head(dispatch.text, len(lede) + 1) == lede:
        # The body is only the summary (e.g. an RSS description and nothing else). When one teaser carries
        # all of it, a thread would only repeat it; when it doesn't (a whole article), thread as usual.
        single = _plan_platform(dispatch, platform, replace(s, mode="teaser"), limits, card, body, spoiler)
        if single.posts and lede in _squash(single.posts[0].text):
            return single
    if s.mode == "thread" and _squash_head(dispatch.text, 1) and _squash_head(dispatch.text, len(lede)) == lede:
        summary = ""  # the summary is the lede, and the thread's next post starts with it anyway
    if not (title or summary or link):
        return PlatformPlan(platform, skipped="nothing to post: the dispatch has no title, summary or link")
    fields = Fields(
        title=title,
        summary=summary,
        url=link,
        hashtags=hashtags(dispatch.tags, s.max_hashtags) if s.hashtags else (),
        author=one_line(dispatch.author or ""),
        feed=one_line(dispatch.feed),
    )
    # Bluesky counts the whole visible link: show it as the app would when asked to, or when the full
    # URL leaves no room. Elsewhere a URL weighs a fixed 23 and is shown whole.
    shown = [link]
    if platform == "bluesky" and link:
        shown = [short_url(link)] if s.short_links else [link, short_url(link)]
    links: list[tuple[str, str]] = []
    if platform == "bluesky" and s.mode == "thread":
        body, links = _short_body_links(body, fits, always=s.short_links)
    texts: list[str] | None = None
    display = link
    for display in dict.fromkeys(shown):
        texts = _compose(replace(fields, url=display), s, body, fits, dispatch.language)
        if texts is not None:
            break
    if texts is None:
        return PlatformPlan(platform, skipped=f"the post does not fit {platform}'s limit even with only the link "
                                              f"(template {s.template!r})")
    link_card = card_for(dispatch, card, link) if platform == "bluesky" and s.cards else None
    image = (dispatch.image,) if dispatch.image and link_card is None else ()
    posts = []
    for i, text in enumerate(texts):
        m = measure(platform, text, limits=limits, spoiler_text=spoiler)
        if not m.valid:  # a bug, not an input problem: never hand on a post the platform would refuse
            return PlatformPlan(platform, skipped=f"internal error: part {i + 1} measures {m.length}/{m.limit}")
        posts.append(Post(
            text=text,
            length=m.length,
            limit=m.limit,
            facets=detect_facets(text, [(display, link), *links]) if platform == "bluesky" else (),
            card=link_card if i == 0 else None,
            images=image if i == 0 else (),
            language=dispatch.language,
            spoiler_text=spoiler,
        ))
    return PlatformPlan(platform, posts=tuple(posts))


def _compose(
    fields: Fields, s: ComposeSettings, body: tuple[Paragraph, ...], fits: _Fits, language: str | None
) -> list[str] | None:
    if s.mode == "teaser":
        teaser = fit_teaser(s.template, fields, fits, language=language)
        return None if teaser is None else [teaser]

    def first(suffix: str) -> str | None:
        return fit_teaser(s.template, fields, lambda t: fits(t + suffix), language=language)

    return compose_thread(first, body, fields.url, fits, numbered=s.numbering, max_parts=s.max_parts)


def _short_body_links(
    body: tuple[Paragraph, ...], fits: _Fits, *, always: bool
) -> tuple[tuple[Paragraph, ...], list[tuple[str, str]]]:
    """Bluesky counts every character of a visible link: show body links as the app does ("host/path…",
    the facet keeping the full URL) when asked to, and always for a link too long for a post of its own,
    which would otherwise have to be cut. Returns the new paragraphs and the (shown, uri) pairs."""
    shown_for: dict[str, str] = {}  # shown text -> uri; a shown text must name one URL only
    out = []
    for para in body:
        text = para.text
        for start, end, uri in reversed(find_links(text)):
            visible = text[start:end]
            if not visible.startswith(("http://", "https://")) or (not always and fits(visible)):
                continue
            short = short_url(uri)
            if short == visible or shown_for.setdefault(short, uri) != uri:
                continue
            text = text[:start] + short + text[end:]
        out.append(para if text == para.text else para.with_text(text))
    return tuple(out), [(shown, uri) for shown, uri in shown_for.items() if shown != uri]


def card_for(dispatch: Dispatch, card: Card | None, link: str) -> Card:
    """The link card for the first Bluesky post: the fetched one, its gaps filled from the dispatch,
    or one made from the dispatch alone (title, summary, image)."""
    image = dispatch.image.url if isinstance(dispatch.image, Image) else None
    if card is None:
        card = Card(uri=link, title=one_line(dispatch.title), description=one_line(dispatch.summary),
                    image_url=image)
    card = replace(
        card,
        uri=link if link else card.uri,
        title=card.title or one_line(dispatch.title),
        description=card.description or one_line(dispatch.summary),
        image_url=card.image_url or image,
    )
    if graphemes(card.description) > CARD_DESCRIPTION:
        short = truncate(card.description, lambda t: graphemes(t) <= CARD_DESCRIPTION)
        card = replace(card, description=short or "")
    return card


def add_utm(url: str, platform: str) -> str:
    """`url` with utm_source=<platform>&utm_medium=social, other query parameters kept as they were."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.scheme not in ("http", "https"):
        return url
    kept = [p for p in parts.query.split("&") if p and p.split("=", 1)[0] not in ("utm_source", "utm_medium")]
    kept += [f"utm_source={platform}", "utm_medium=social"]
    return urlunsplit(parts._replace(query="&".join(kept)))


def _squash(text: str) -> str:
    return "".join(text.split())


def _squash_head(text: str, n: int) -> str:
    """_squash(text)[:n], reading `text` only as far as that needs (a body can be a megabyte)."""
    pieces, got, pos = [], 0, 0
    while got < n and pos < len(text):
        piece = _squash(text[pos : pos + 4096])  # whitespace is per character, so pieces squash alike
        pieces.append(piece)
        got, pos = got + len(piece), pos + 4096
    return "".join(pieces)[:n]
