"""A fake Mastodon server on 127.0.0.1, faithful to the documented REST API.

It lets the real Mastodon.py client run against something that behaves like
an instance: same paths, bodies, status codes, error payloads, rate-limit
headers (`X-RateLimit-Reset` as ISO 8601) and the server's own length rule
(grapheme clusters of spoiler_text + text, every URL with a scheme counted as
`characters_reserved_per_url`, `@user@domain` counted as `@user`; see
`app/validators/status_length_validator.rb`). Docs it follows:
https://docs.joinmastodon.org/methods/statuses/, /methods/media/,
/methods/instance/, /api/rate-limits/.

Tests read back what was stored (`statuses`, `media`) and what was asked
(`requests`), and inject faults per test (`fail_next`, `malformed_next`,
`delay_next`, `stall_after_store`). Self-contained on purpose: it shares
nothing with the X fake. The one import from Mastodon.py is its transcription
of twitter-text's URL regex, the same extractor the server uses for counting.

    with FakeMastodon(token="t") as fake:
        Mastodon(api_base_url=fake.base_url, access_token="t").status_post("hi")
        assert fake.statuses[0].text == "hi"
"""

from __future__ import annotations

import email.utils
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import regex
from mastodon._url_regex import url_regex  # twitter-text's valid_url, as the server extracts URLs

from fakes._mastodon_render import render_content

# Endpoint paths (Mastodon.py adds a trailing slash to the instance ones; both are served).
API_INSTANCE_V1 = "/api/v1/instance"
API_INSTANCE_V2 = "/api/v2/instance"
API_VERIFY_CREDENTIALS = "/api/v1/accounts/verify_credentials"
API_STATUSES = "/api/v1/statuses"
API_MEDIA_V2 = "/api/v2/media"
API_MEDIA_V1 = "/api/v1/media"

INVALID_TOKEN = "The access token is invalid"
TOO_MANY_REQUESTS = "Too many requests"
NOT_FINISHED = "Cannot attach files that have not finished processing. Try again in a moment!"
REPLY_NOT_FOUND = "The post you are trying to reply to does not appear to exist."
IDEMPOTENCY_TTL = 3600.0  # "Idempotency keys are stored for up to 1 hour."

_MENTION = regex.compile(r"(^|[^/\w])@(([a-z0-9_]+)@[a-z0-9\.\-]+[a-z0-9]+)", regex.IGNORECASE)


def status_length(text: str, spoiler_text: str = "", *, url_length: int = 23) -> int:
    """The server's count: graphemes of spoiler_text + text after URL and mention rewriting."""
    countable = url_regex.sub(lambda m: m.group(2) + "x" * url_length, text)
    countable = _MENTION.sub(r"\1@\3", countable)
    return len(regex.findall(r"\X", spoiler_text + countable))


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class StoredMedia:
    id: str
    account_id: str
    data: bytes
    mime_type: str
    file_name: str | None
    description: str | None
    polls_left: int | None  # GETs still answered 206; None: never finishes
    status_id: str | None = None

    @property
    def processed(self) -> bool:
        return self.polls_left == 0


@dataclass
class StoredStatus:
    id: str
    account_id: str
    text: str
    content: str  # HTML, as the server renders it
    created_at: float
    in_reply_to_id: str | None = None
    media_ids: tuple[str, ...] = ()
    visibility: str = "public"
    language: str | None = None
    spoiler_text: str = ""
    sensitive: bool = False
    idempotency_key: str | None = None
    media: tuple[StoredMedia, ...] = ()


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    status: int
    response_headers: dict[str, str]


@dataclass
class Fault:
    kind: str  # "status" | "malformed" | "delay" | "stall_after_store"
    remaining: int
    status: int = 503
    seconds: float = 0.0
    method: str | None = None
    path: str | None = None

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path is None or path == self.path or path.startswith(self.path + "/")
        )


@dataclass
class _Bucket:
    """A fixed-window counter, like rack-attack's throttles (windows aligned to the epoch)."""

    limit: int
    period: float
    counts: dict[tuple[str, int], int] = field(default_factory=dict)

    def state(self, who: str, now: float) -> tuple[int, int, float]:
        window = int(now // self.period)
        used = self.counts.get((who, window), 0)
        return self.limit, max(self.limit - used, 0), (window + 1) * self.period

    def hit(self, who: str, now: float) -> bool:
        key = (who, int(now // self.period))
        self.counts[key] = self.counts.get(key, 0) + 1
        return self.counts[key] <= self.limit

    def full(self, who: str, now: float) -> bool:
        return self.counts.get((who, int(now // self.period)), 0) >= self.limit


class _Reply(Exception):
    """Raised inside a route to answer with an error status and `{"error": message}`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class FakeMastodon:
    """A Mastodon instance in a thread. Use as a context manager; `base_url` is where it listens."""

    def __init__(
        self,
        *,
        token: str = "test-token",
        username: str = "alice",
        display_name: str = "Alice Reporter",
        bot: bool = True,
        version: str = "4.4.3",
        v2_instance: bool = True,
        max_characters: int = 500,
        characters_reserved_per_url: int = 23,
        max_media_attachments: int = 4,
        description_limit: int = 1500,
        image_size_limit: int = 16 * 1024 * 1024,
        media_processing_polls: int | None = 0,
        rate_limit: int = 300,
        rate_period: float = 300.0,
        statuses_limit: int = 300,
        statuses_period: float = 3 * 3600.0,
        media_limit: int = 30,
        media_period: float = 1800.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.version = version
        self.v2_instance = v2_instance
        self.max_characters = max_characters
        self.characters_reserved_per_url = characters_reserved_per_url
        self.max_media_attachments = max_media_attachments
        self.description_limit = description_limit
        self.image_size_limit = image_size_limit
        self.media_processing_polls = media_processing_polls
        self.clock = clock
        self.general = _Bucket(rate_limit, rate_period)
        self.statuses_family = _Bucket(statuses_limit, statuses_period)
        self.media_family = _Bucket(media_limit, media_period)
        self.accounts: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, str] = {}  # token -> account id
        self.statuses: list[StoredStatus] = []
        self.media: dict[str, StoredMedia] = {}
        self.requests: list[LoggedRequest] = []
        self.faults: list[Fault] = []
        self._idempotency: dict[tuple[str, str], tuple[str, float]] = {}
        self._last_id = 0
        self._lock = threading.RLock()
        self._closing = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.account_id = self.add_account(username, token, display_name=display_name, bot=bot)

    # ---- lifecycle -------------------------------------------------------------------

    def __enter__(self) -> FakeMastodon:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="fake-mastodon", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()  # wakes stalled handlers
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "use FakeMastodon as a context manager"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # ---- test controls ---------------------------------------------------------------

    def add_account(self, username: str, token: str, *, display_name: str = "", bot: bool = False) -> str:
        with self._lock:
            account_id = str(109_000_000 + len(self.accounts) + 1)
            self.accounts[account_id] = {"username": username, "display_name": display_name, "bot": bot}
            self.tokens[token] = account_id
            return account_id

    def seed_status(self, text: str, *, account_id: str | None = None, in_reply_to_id: str | None = None) -> StoredStatus:
        """Store a status directly (e.g. one posted before the test, or by someone else)."""
        with self._lock:
            return self._store(account_id or self.account_id, text, in_reply_to_id=in_reply_to_id)

    def fail_next(self, n: int = 1, *, status: int = 503, method: str | None = None, path: str | None = None) -> None:
        """The next n matching requests answer `status` (429, 500, 502, 503, 504) without being handled."""
        self._add(Fault("status", n, status=status, method=method, path=path))

    def malformed_next(self, n: int = 1, *, method: str | None = None, path: str | None = None) -> None:
        """The next n matching requests answer 200 with a body that is not JSON (not handled)."""
        self._add(Fault("malformed", n, method=method, path=path))

    def delay_next(self, seconds: float, n: int = 1, *, method: str | None = None, path: str | None = None) -> None:
        """The next n matching requests wait `seconds` before being handled."""
        self._add(Fault("delay", n, seconds=seconds, method=method, path=path))

    def stall_after_store(self, seconds: float, n: int = 1, *, method: str = "POST", path: str = API_STATUSES) -> None:
        """The next n matching requests are handled (the status IS stored), then the answer waits `seconds`."""
        self._add(Fault("stall_after_store", n, seconds=seconds, method=method, path=path))

    def requests_to(self, method: str, path: str) -> list[LoggedRequest]:
        path = path.rstrip("/")
        return [r for r in self.requests if r.method == method and r.path.rstrip("/") == path]

    def statuses_of(self, account_id: str | None = None) -> list[StoredStatus]:
        wanted = account_id or self.account_id
        return [s for s in self.statuses if s.account_id == wanted]

    def _add(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.remaining > 0 and fault.matches(method, path):
                    fault.remaining -= 1
                    return fault
        return None

    # ---- entities --------------------------------------------------------------------

    def _next_id(self) -> str:
        # Snowflake-like: milliseconds << 16, strictly increasing.
        self._last_id = max(self._last_id + 1, int(self.clock() * 1000) << 16)
        return str(self._last_id)

    def _store(self, account_id: str, text: str, **kw: Any) -> StoredStatus:
        status = StoredStatus(
            id=self._next_id(), account_id=account_id, text=text,
            content=render_content(text, self.base_url), created_at=self.clock(), **kw
        )
        self.statuses.append(status)
        return status

    def account_json(self, account_id: str, *, credentials: bool = False) -> dict[str, Any]:
        acct = self.accounts[account_id]
        base, name = self.base_url, acct["username"]
        data: dict[str, Any] = {
            "id": account_id, "username": name, "acct": name, "display_name": acct["display_name"],
            "locked": False, "bot": acct["bot"], "discoverable": True, "group": False,
            "created_at": "2024-01-01T00:00:00.000Z", "note": "<p>Dispatches.</p>",
            "url": f"{base}/@{name}", "uri": f"{base}/users/{name}",
            "avatar": f"{base}/avatars/original/missing.png", "avatar_static": f"{base}/avatars/original/missing.png",
            "header": f"{base}/headers/original/missing.png", "header_static": f"{base}/headers/original/missing.png",
            "followers_count": 12, "following_count": 3,
            "statuses_count": len(self.statuses_of(account_id)), "last_status_at": None, "emojis": [], "fields": [],
        }
        if credentials:
            data["source"] = {"privacy": "public", "sensitive": False, "language": "en", "note": "Dispatches.", "fields": []}
        return data

    def media_json(self, media: StoredMedia) -> dict[str, Any]:
        url = f"{self.base_url}/system/media_attachments/files/{media.id}/original/image.png"
        return {
            "id": media.id, "type": "image" if media.mime_type.startswith("image/") else "video",
            "url": url if media.processed else None,
            "preview_url": f"{self.base_url}/system/media_attachments/files/{media.id}/small/image.png",
            "remote_url": None, "preview_remote_url": None, "text_url": None,
            "meta": {"original": {"width": 2, "height": 2, "size": "2x2", "aspect": 1.0}},
            "description": media.description, "blurhash": "UFA,#ct7~qofayj[WBj[?bWBM{ayt7WBayay",
        }

    def status_json(self, status: StoredStatus) -> dict[str, Any]:
        acct = self.accounts[status.account_id]["username"]
        parent = next((s for s in self.statuses if s.id == status.in_reply_to_id), None)
        return {
            "id": status.id, "created_at": _iso(status.created_at),
            "in_reply_to_id": status.in_reply_to_id,
            "in_reply_to_account_id": parent.account_id if parent else None,
            "sensitive": status.sensitive, "spoiler_text": status.spoiler_text,
            "visibility": status.visibility, "language": status.language,
            "uri": f"{self.base_url}/users/{acct}/statuses/{status.id}",
            "url": f"{self.base_url}/@{acct}/{status.id}",
            "replies_count": 0, "reblogs_count": 0, "favourites_count": 0, "quotes_count": 0,
            "edited_at": None, "favourited": False, "reblogged": False, "muted": False,
            "bookmarked": False, "pinned": False, "content": status.content, "filtered": [],
            "reblog": None, "application": {"name": "syndicate", "website": None},
            "account": self.account_json(status.account_id),
            "media_attachments": [self.media_json(m) for m in status.media],
            "mentions": [], "tags": [], "emojis": [], "card": None, "poll": None,
        }

    def instance_json(self, v2: bool) -> dict[str, Any]:
        host = urlsplit(self.base_url).netloc
        configuration = {
            "urls": {"streaming": f"ws://{host}"},
            "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
            "statuses": {
                "max_characters": self.max_characters,
                "max_media_attachments": self.max_media_attachments,
                "characters_reserved_per_url": self.characters_reserved_per_url,
            },
            "media_attachments": {
                "supported_mime_types": ["image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4"],
                "description_limit": self.description_limit,
                "image_size_limit": self.image_size_limit, "image_matrix_limit": 33177600,
                "video_size_limit": 103809024, "video_frame_rate_limit": 120, "video_matrix_limit": 8294400,
            },
            "polls": {"max_options": 4, "max_characters_per_option": 50,
                      "min_expiration": 300, "max_expiration": 2629746},
            "translation": {"enabled": False},
        }
        common = {"title": "Fake Mastodon", "version": self.version, "languages": ["en"],
                  "configuration": configuration, "rules": []}
        if v2:
            return {**common, "domain": host, "source_url": "https://github.com/mastodon/mastodon",
                    "description": "A fake instance for tests.", "usage": {"users": {"active_month": 1}},
                    "thumbnail": {"url": f"{self.base_url}/thumb.png"},
                    "registrations": {"enabled": False, "approval_required": False, "message": None},
                    "api_versions": {"mastodon": 6},
                    "contact": {"email": "admin@example.invalid", "account": None}}
        return {**common, "uri": host, "short_description": "A fake instance for tests.",
                "description": "", "email": "admin@example.invalid", "urls": {"streaming_api": f"ws://{host}"},
                "stats": {"user_count": 1, "status_count": len(self.statuses), "domain_count": 1},
                "thumbnail": None, "registrations": False, "approval_required": False,
                "invites_enabled": False, "contact_account": None}


from fakes._mastodon_routes import _Handler  # noqa: E402  (the handler needs the classes above)
