"""X API v2 wire details for the fake: X's exact error wordings and body shapes, t.co rewriting, multipart.

Kept apart from `x_api.py` (the server's behaviour) so both stay small.

Sources (each fact is in docs/platforms.md of this repository, with its origin):
* §1.5, docs.x.com/x-api/fundamentals/response-codes-and-errors (2026-07-24):
  problem JSON (`title`, `type`, `status`, `detail`), 400 `invalid-request`
  with an `errors` array, 401/429 bodies, 403 duplicate / oauth1-permissions.
* §1.6: the reply restriction in its two wordings; the current one carries the
  problem type `.../problems/not-authorized-for-resource`.
* §1.1: 402 `CreditsDepleted` (`.../problems/credits`) and the 403 monthly
  spend cap, as reported by X API users (X's pricing page gives no status).
* §1.8: an OAuth 2 token without an operation's scope gets a plain 403.
"""

from __future__ import annotations

import hashlib
import html
import re
from typing import Any

from fakes._http import Response

TOO_LONG_DETAIL = (
    "Your Tweet text is too long. For more information on how Twitter determines text length "
    "see https://github.com/twitter/twitter-text."
)
DUPLICATE_DETAIL = "You are not allowed to create a Tweet with duplicate content."
REPLY_REFUSED_DETAIL = (
    "Reply to this conversation is not allowed because you have not been mentioned or otherwise "
    "engaged by the author of the post you are replying to."
)
OAUTH1_PERMISSIONS_DETAIL = (
    "Your client app is not configured with the appropriate oauth1 app permissions for this endpoint."
)
CURRENT_REPLY_REFUSED_DETAIL = (
    "You can only reply to or quote posts where you are mentioned or are the author of the post."
)
REPLY_REFUSED_TYPE = "https://api.twitter.com/2/problems/not-authorized-for-resource"
CREDITS_DEPLETED = {
    "title": "CreditsDepleted",
    "type": "https://api.twitter.com/2/problems/credits",
    "detail": "Your enrolled account [1500000000000000001] does not have any credits to fulfill this request.",
}
SPEND_CAP = {"title": "Forbidden", "type": "about:blank", "status": 403, "detail": "Monthly spend cap reached"}
SCOPE_FORBIDDEN = {"title": "Forbidden", "type": "about:blank", "status": 403, "detail": "Forbidden"}
DELETED_PARENT_DETAIL = "You attempted to reply to a Tweet that is deleted or not visible to you."
UNAUTHORIZED = {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}
TOO_MANY = {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429}

_URL = re.compile(r"https?://\S+")


def problem(status: int, title: str, detail: str, type_: str = "about:blank") -> Response:
    return Response.json(status, {"title": title, "type": type_, "status": status, "detail": detail})


def invalid_request(message: str, parameter: str, value: Any) -> Response:
    return Response.json(400, {
        "errors": [{"parameters": {parameter: [str(value)]}, "message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    })


def invalid_request_messages(messages: list[str]) -> Response:
    """X's answer to a body its schema refuses: one `errors` entry per message."""
    return Response.json(400, {
        "errors": [{"message": m} for m in messages],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    })


def display_text(text: str) -> str:
    """What X gives back: links as t.co, `&<>` escaped."""
    def tco(m: re.Match[str]) -> str:
        return "https://t.co/" + hashlib.sha1(m.group().encode()).hexdigest()[:10]
    return html.escape(_URL.sub(tco, text), quote=False)


def parse_multipart(body: bytes, content_type: str) -> dict[str, bytes]:
    m = re.search(r'boundary="?([^";]+)"?', content_type)
    if not m:
        return {}
    fields: dict[str, bytes] = {}
    for part in body.split(b"--" + m.group(1).encode())[1:-1]:
        head, _, data = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        name = re.search(rb'name="([^"]*)"', head)
        if name:
            fields[name.group(1).decode()] = data.removesuffix(b"\r\n")
    return fields


def image_type(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None
