"""Build the `app.bsky.feed.post` record for one `Post`: pure code, no I/O.

Lexicon: https://docs.bsky.app/docs/advanced-guides/posts (text ≤ 300 graphemes
and 3000 bytes; facets index UTF-8 *byte* ranges; replies carry root and parent
strong refs; one embed per post). Blobs, mention DIDs and "now" are resolved by
the publisher and passed in, so `preview` and tests can build the exact record
that would be sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from syndicate.model import Card, Facet, Post, ReplyTo

if TYPE_CHECKING:
    from atproto_client import models
    from atproto_client.models.blob_ref import BlobRef

__all__ = ["COLLECTION", "MAX_IMAGES", "MAX_LANGS", "ImageBlob", "build_record", "created_at", "langs", "post_url"]

COLLECTION = "app.bsky.feed.post"
MAX_IMAGES = 4
MAX_LANGS = 3
_LANG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")


@dataclass(frozen=True)
class ImageBlob:
    """An uploaded image, ready for `app.bsky.embed.images`."""

    blob: BlobRef
    alt: str
    width: int
    height: int


def post_url(handle: str, rkey: str) -> str:
    return f"https://bsky.app/profile/{handle}/post/{rkey}"


def created_at(now: float) -> str:
    """RFC 3339 UTC with milliseconds and a Z, as the Bluesky app writes it."""
    return datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def langs(language: str | None) -> list[str] | None:
    """`langs` from the feed's language: BCP-47 ("pt_BR" → "pt-BR"); None when absent or not a tag.

    We send it even for English: the SDK's `send_post` would label everything `en`,
    and a wrong label hides posts from readers' language feeds.
    """
    if not language:
        return None
    tags = [t.strip().replace("_", "-") for t in language.split(",")]
    valid = [t for t in tags if _LANG.match(t)]
    return valid[:MAX_LANGS] or None


def _facets(facets: Sequence[Facet], text: str, dids: Mapping[str, str]) -> list[models.AppBskyRichtextFacet.Main]:
    from atproto_client import models

    size = len(text.encode("utf-8"))
    out: list[models.AppBskyRichtextFacet.Main] = []
    for f in facets:
        if not 0 <= f.byte_start < f.byte_end <= size:
            continue  # a range outside the text would make a broken link; the dev PDS doesn't check this
        feature: (models.AppBskyRichtextFacet.Link | models.AppBskyRichtextFacet.Tag
                  | models.AppBskyRichtextFacet.Mention)
        if f.kind == "link":
            feature = models.AppBskyRichtextFacet.Link(uri=f.value)
        elif f.kind == "tag":
            feature = models.AppBskyRichtextFacet.Tag(tag=f.value.lstrip("#"))
        elif f.kind == "mention":
            did = dids.get(f.value.lstrip("@").lower())
            if did is None:
                continue  # the handle did not resolve: plain text beats a mention of nobody
            feature = models.AppBskyRichtextFacet.Mention(did=did)
        else:
            continue
        out.append(models.AppBskyRichtextFacet.Main(
            index=models.AppBskyRichtextFacet.ByteSlice(byte_start=f.byte_start, byte_end=f.byte_end),
            features=[feature],
        ))
    return out


def _reply(reply_to: ReplyTo) -> models.AppBskyFeedPost.ReplyRef:
    from atproto_client import models

    def ref(uri: str | None, cid: str | None, which: str) -> models.ComAtprotoRepoStrongRef.Main:
        if not uri or not cid:
            raise ValueError(f"reply_to.{which} has no at:// uri and cid: a Bluesky reply needs both")
        return models.ComAtprotoRepoStrongRef.Main(uri=uri, cid=cid)

    return models.AppBskyFeedPost.ReplyRef(
        root=ref(reply_to.root.uri, reply_to.root.cid, "root"),
        parent=ref(reply_to.parent.uri, reply_to.parent.cid, "parent"),
    )


def _external(card: Card, thumb: BlobRef | None) -> models.AppBskyEmbedExternal.Main:
    from atproto_client import models

    return models.AppBskyEmbedExternal.Main(external=models.AppBskyEmbedExternal.External(
        uri=card.uri, title=card.title, description=card.description, thumb=thumb,
    ))


def _images(images: Sequence[ImageBlob]) -> models.AppBskyEmbedImages.Main:
    from atproto_client import models

    return models.AppBskyEmbedImages.Main(images=[
        models.AppBskyEmbedImages.Image(
            alt=i.alt,  # required by the lexicon; may be empty
            image=i.blob,
            aspect_ratio=models.AppBskyEmbedDefs.AspectRatio(width=max(i.width, 1), height=max(i.height, 1)),
        )
        for i in images[:MAX_IMAGES]
    ])


def build_record(
    post: Post,
    *,
    now: float,
    reply_to: ReplyTo | None = None,
    mention_dids: Mapping[str, str] | None = None,
    images: Sequence[ImageBlob] = (),
    thumb: BlobRef | None = None,
) -> models.AppBskyFeedPost.Record:
    """The record for `post`. A post gets one embed: its images when it has any, else its card."""
    from atproto_client import models

    embed: models.AppBskyEmbedImages.Main | models.AppBskyEmbedExternal.Main | None = None
    if images:
        embed = _images(images)
    elif post.card is not None:
        embed = _external(post.card, thumb)
    facets = _facets(post.facets, post.text, mention_dids or {})
    return models.AppBskyFeedPost.Record(
        text=post.text,
        created_at=created_at(now),
        facets=facets or None,
        langs=langs(post.language),
        reply=_reply(reply_to) if reply_to is not None else None,
        embed=embed,
    )
