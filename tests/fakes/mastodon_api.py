"""A fake Mastodon server on 127.0.0.1, faithful to the documented REST API.

It lets the real Mastodon.py client run against something that behaves like
an instance: same paths, bodies, status codes, error payloads, rate-limit
headers (`X-RateLimit-Reset` as ISO 8601) and the server's own length rule
(grapheme clusters of spoiler_text + text, every URL with a scheme counted as
`characters_reserved_per_url`, `@user@domain` counted as `@user`; see
`app/validators/status_length_validator.rb`).

Sources (docs/platforms.md §3 in this repository says what each fact rests on):
https://docs.joinmastodon.org/methods/statuses/, /methods/media/,
/methods/accounts/, /methods/instance/, /api/rate-limits/, /api/oauth-scopes/
(Mastodon 4.4, 2026); server source mastodon/mastodon `app/controllers/api/`
(scopes per action, error bodies). The per-endpoint table of scopes and
parameters is `fakes._mastodon_spec`.

OAuth scopes are enforced per endpoint: each token has its own (`scopes=` for
the main account, `add_account(..., scopes=)`); a call outside them answers
403 `{"error": "This action is outside the authorized scopes"}`. Reads of
public data (an account's statuses) check the scope only when a token is
sent, as the server does. Parameters the documentation does not list are
ignored, as Rails' strong parameters do, and recorded in `unpermitted`.

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

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from fakes import _mastodon_spec
from fakes._mastodon_wire import (
    Bucket,
    Request,
    Response,
    http_date,
    iso8601,
    make_handler,
    render_content,
    status_length,
)

# Endpoint paths (Mastodon.py adds a trailing slash to the instance ones; both are served).
API_INSTANCE_V1 = "/api/v1/instance"
API_INSTANCE_V2 = "/api/v2/instance"
API_VERIFY_CREDENTIALS = "/api/v1/accounts/verify_credentials"
API_STATUSES = "/api/v1/statuses"
API_MEDIA_V2 = "/api/v2/media"
API_MEDIA_V1 = "/api/v1/media"

INVALID_TOKEN = "The access token is invalid"
INSUFFICIENT_SCOPE = _mastodon_spec.INSUFFICIENT_SCOPE
# Every parameter any fake in this process dropped as undocumented: tests/mastodon/conftest.py fails
# a test that leaves one here without expecting it (the real server would ignore it silently).
UNPERMITTED: list[tuple[str, str, str]] = []
# What syndicate's docs tell users to grant (README, config.example.toml): the default token's scopes.
DEFAULT_SCOPES = "write:statuses write:media read:accounts read:statuses"
NO_TOKEN = "This method requires an authenticated user"
TOO_MANY_REQUESTS = "Too many requests"
NOT_FOUND = "Record not found"
NOT_FINISHED = "Cannot attach files that have not finished processing. Try again in a moment!"
REPLY_NOT_FOUND = "The post you are trying to reply to does not appear to exist."
STATUSES_LIMIT = 20  # GET /api/v1/statuses?id[]=: server code DEFAULT_STATUSES_LIMIT
IDEMPOTENCY_TTL = 3600.0  # "Idempotency keys are stored for up to 1 hour."
VISIBILITIES = ("public", "unlisted", "private", "direct")

__all__ = ["FakeMastodon", "StoredStatus", "StoredMedia", "LoggedRequest", "status_length"]


@dataclass
class StoredMedia:
    id: str
    account_id: str
    data: bytes
    mime_type: str
    file_name: str | None
    description: str | None
    polls_left: int | None  # GETs still to answer 206; None: never finishes
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
    visibility: str = "public"
    language: str | None = None
    spoiler_text: str = ""
    sensitive: bool = False
    idempotency_key: str | None = None
    media: tuple[StoredMedia, ...] = ()
    favourites: int = 0  # scripted by tests (`set_counts`): who favourited is not modelled
    reblogs: int = 0
    quotes: int = 0
    edited_at: float | None = None
    # Earlier versions, oldest first (`GET .../history` lists them, then the current one): the
    # first edit snapshots the original too (server code `Status#snapshot!`).
    history: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    status: int
    response_headers: dict[str, str]
    params: dict[str, list[str]] = field(default_factory=dict)  # query + form/JSON, form-style names
    files: tuple[str, ...] = ()  # names of the multipart file parts


@dataclass
class Fault:
    kind: str  # "status" | "malformed" | "delay" | "stall_after_store"
    remaining: int
    status: int = 503
    seconds: float = 0.0
    method: str | None = None
    path: str | None = None
    error: str | None = None  # the `{"error": ...}` text of a "status" fault

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path is None or path == self.path or path.startswith(self.path + "/")
        )


class _Reply(Exception):
    """Raised inside a route to answer `status` with `{"error": message}`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class _Ctx:
    account_id: str | None
    who: str  # the rate-limit key: account, or IP when unauthenticated
    now: float
    rate: tuple[int, int, float]  # what the X-RateLimit-* headers will say


class FakeMastodon:
    """A Mastodon instance in a thread. Use as a context manager; `base_url` is where it listens."""

    def __init__(
        self,
        *,
        token: str = "test-token",
        scopes: str = DEFAULT_SCOPES,
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
        delete_limit: int = 30,
        delete_period: float = 1800.0,
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
        self.general = Bucket(rate_limit, rate_period)
        self.statuses_family = Bucket(statuses_limit, statuses_period)
        self.media_family = Bucket(media_limit, media_period)
        # rack_attack `throttle_api_delete`: 30 deletes (and unreblogs) per 30 min per account.
        self.deletes = Bucket(delete_limit, delete_period)
        self.deleted: list[StoredStatus] = []  # in the order they were deleted
        self.accounts: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, str] = {}  # token -> account id
        self.token_scopes: dict[str, frozenset[str]] = {}  # token -> the OAuth scopes it was granted
        self.unpermitted: list[tuple[str, str, str]] = []  # (method, path, parameter) the server ignored
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
        self.account_id = self.add_account(username, token, display_name=display_name, bot=bot, scopes=scopes)

    # ---- lifecycle -------------------------------------------------------------------

    def __enter__(self) -> FakeMastodon:
        server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(self._dispatch, self._closing))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, args=(0.02,), name="fake-mastodon", daemon=True)
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
        return f"http://{host!s}:{port}"

    # ---- test controls ---------------------------------------------------------------

    def add_account(self, username: str, token: str, *, display_name: str = "", bot: bool = False,
                    scopes: str = DEFAULT_SCOPES) -> str:
        with self._lock:
            account_id = str(109_000_000 + len(self.accounts) + 1)
            self.accounts[account_id] = {"username": username, "display_name": display_name, "bot": bot}
            self.tokens[token] = account_id
            self.token_scopes[token] = frozenset(scopes.split())
            return account_id

    def seed_status(self, text: str, *, account_id: str | None = None, in_reply_to_id: str | None = None) -> StoredStatus:
        """Store a status directly (e.g. one posted before the test, or by someone else)."""
        with self._lock:
            return self._store(account_id or self.account_id, text, in_reply_to_id=in_reply_to_id)

    def set_counts(self, status_id: str, *, favourites: int | None = None, reblogs: int | None = None,
                   quotes: int | None = None) -> None:
        """Script a status's engagement (replies_count is real: the statuses stored in reply to it)."""
        with self._lock:
            status = next(s for s in self.statuses if s.id == status_id)
            if favourites is not None:
                status.favourites = favourites
            if reblogs is not None:
                status.reblogs = reblogs
            if quotes is not None:
                status.quotes = quotes

    def fail_next(self, n: int = 1, *, status: int = 503, error: str | None = None,
                  method: str | None = None, path: str | None = None) -> None:
        """The next n matching requests answer `status` (429, 5xx, or any with `error`) without being handled."""
        self._add(Fault("status", n, status=status, method=method, path=path, error=error))

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
            "id": status.id, "created_at": iso8601(status.created_at),
            "in_reply_to_id": status.in_reply_to_id,
            "in_reply_to_account_id": parent.account_id if parent else None,
            "sensitive": status.sensitive, "spoiler_text": status.spoiler_text,
            "visibility": status.visibility, "language": status.language,
            "uri": f"{self.base_url}/users/{acct}/statuses/{status.id}",
            "url": f"{self.base_url}/@{acct}/{status.id}",
            "replies_count": sum(1 for s in self.statuses if s.in_reply_to_id == status.id),
            "reblogs_count": status.reblogs, "favourites_count": status.favourites,
            "edited_at": iso8601(status.edited_at) if status.edited_at else None,
            "favourited": False, "reblogged": False, "muted": False,
            "bookmarked": False, "pinned": False, "content": status.content, "filtered": [],
            "reblog": None, "application": {"name": "syndicate", "website": None},
            "account": self.account_json(status.account_id),
            "media_attachments": [self.media_json(m) for m in status.media],
            "mentions": [], "tags": [], "emojis": [], "card": None, "poll": None,
            # quotes_count: "how many accepted quotes", Mastodon 4.5.0+; older servers omit it (Status.md).
            **({"quotes_count": status.quotes} if self._at_least((4, 5)) else {}),
        }

    def _at_least(self, version: tuple[int, int]) -> bool:
        major, minor = (int(x) for x in self.version.split(".")[:2])
        return (major, minor) >= version

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

    # ---- request handling ------------------------------------------------------------

    def _dispatch(self, req: Request) -> Response:
        fault = self._take_fault(req.method, req.path)
        if fault is not None and fault.kind == "delay":
            self._closing.wait(fault.seconds)
        with self._lock:
            now = self.clock()
            account_id = self._account_for(req)
            ctx = _Ctx(account_id, f"account:{account_id}" if account_id else f"ip:{req.client}", now,
                       self.general.state("-", now))
            if fault is not None and fault.kind in ("status", "malformed"):
                resp = self._fault_response(fault, ctx)
            elif not self.general.hit(ctx.who, now):
                ctx.rate = self.general.state(ctx.who, now)
                resp = Response(429, {"error": TOO_MANY_REQUESTS})
            else:
                ctx.rate = self.general.state(ctx.who, now)
                try:
                    resp = self._route(req, ctx)
                except _Reply as reply:
                    resp = Response(reply.status, {"error": reply.message})
            limit, remaining, reset = ctx.rate
            resp.headers.update({"Date": http_date(now), "X-RateLimit-Limit": str(limit),
                                 "X-RateLimit-Remaining": str(remaining), "X-RateLimit-Reset": iso8601(reset)})
            if fault is not None and fault.kind == "stall_after_store":
                resp.stall = fault.seconds
            params = _mastodon_spec.request_params(req.query, req.form, req.json)
            self.requests.append(LoggedRequest(req.method, req.path, req.query, req.headers, req.body,
                                               resp.status, dict(resp.headers), params, tuple(req.files)))
            return resp

    def _account_for(self, req: Request) -> str | None:
        token = self._bearer(req)
        return self.tokens.get(token) if token is not None else None

    def _fault_response(self, fault: Fault, ctx: _Ctx) -> Response:
        if fault.kind == "malformed":
            return Response(200, b'{"id": "1130', {})
        if fault.status == 429:
            limit, _, reset = self.general.state(ctx.who, ctx.now)
            ctx.rate = (limit, 0, reset)
            return Response(429, {"error": fault.error or TOO_MANY_REQUESTS})
        if fault.error is not None:
            return Response(fault.status, {"error": fault.error})
        if fault.status == 503:  # Mastodon's own 503 is JSON
            return Response(503, {"error": "There was a temporary problem serving your request, please try again"})
        page = f"<html><body><h1>{fault.status}</h1>We're sorry, but something went wrong.</body></html>"
        return Response(fault.status, page.encode(), {"Content-Type": "text/html"})

    def _auth(self, req: Request, ctx: _Ctx) -> str:
        if ctx.account_id is None:
            raise _Reply(401, INVALID_TOKEN if req.header("Authorization") else NO_TOKEN)
        return ctx.account_id

    def _bearer(self, req: Request) -> str | None:
        auth = req.header("Authorization") or ""
        return auth[len("Bearer "):] if auth.startswith("Bearer ") else None

    def _authorize(self, req: Request, ep: _mastodon_spec.Endpoint) -> None:
        """Doorkeeper's check, before the action runs: a known token, carrying one of the endpoint's scopes."""
        token = self._bearer(req)
        if not ep.scopes or (token is None and ep.only_if_token):
            return
        if token is None or token not in self.tokens:
            return  # the action's own `require_user!`/`_auth` answers 401, with its wording
        if not _mastodon_spec.has_scope(self.token_scopes[token], ep.scopes):
            raise _Reply(403, INSUFFICIENT_SCOPE)

    def _route(self, req: Request, ctx: _Ctx) -> Response:
        m, p = req.method, req.path
        ep = _mastodon_spec.endpoint(m, p)
        if ep is not None:
            if ep.only_if_token and self._bearer(req) is not None and self._bearer(req) not in self.tokens:
                raise _Reply(401, INVALID_TOKEN)
            self._authorize(req, ep)
            params = _mastodon_spec.request_params(req.query, req.form, req.json)
            for name in _mastodon_spec.unknown_params(ep, {**params, **{f: [] for f in req.files}}):
                self.unpermitted.append((m, p, name))  # Rails drops it without a word; we note it
                UNPERMITTED.append((m, p, name))
        if m == "GET" and p in (API_INSTANCE_V1, API_INSTANCE_V2):
            if p == API_INSTANCE_V2 and not self.v2_instance:
                raise _Reply(404, NOT_FOUND)
            return Response(200, self.instance_json(p == API_INSTANCE_V2))
        if m == "GET" and p == API_VERIFY_CREDENTIALS:
            return Response(200, self.account_json(self._auth(req, ctx), credentials=True))
        if m == "POST" and p == API_STATUSES:
            return self._post_status(req, ctx)
        if m == "POST" and p in (API_MEDIA_V2, API_MEDIA_V1):
            return self._post_media(req, ctx, synchronous=p == API_MEDIA_V1)
        if m == "GET" and p == API_STATUSES:
            return self._get_statuses(req)
        parts = p.strip("/").split("/")
        if m == "GET" and len(parts) == 5 and parts[:3] == ["api", "v1", "statuses"] and parts[4] == "context":
            return self._context(parts[3], ctx)
        if m == "GET" and len(parts) == 5 and parts[:3] == ["api", "v1", "accounts"] and parts[4] == "statuses":
            return self._account_statuses(parts[3], req)
        if m == "GET" and len(parts) == 4 and parts[:3] == ["api", "v1", "statuses"]:
            status = next((s for s in self.statuses if s.id == parts[3]), None)
            if status is None:
                raise _Reply(404, NOT_FOUND)
            return Response(200, self.status_json(status))
        if m == "DELETE" and len(parts) == 4 and parts[:3] == ["api", "v1", "statuses"]:
            return self._delete_status(parts[3], req, ctx)
        if m == "PUT" and len(parts) == 4 and parts[:3] == ["api", "v1", "statuses"]:
            return self._edit_status(parts[3], req, ctx)
        if m == "GET" and len(parts) == 5 and parts[:3] == ["api", "v1", "statuses"] and parts[4] == "history":
            status = next((s for s in self.statuses if s.id == parts[3]), None)
            if status is None:
                raise _Reply(404, NOT_FOUND)
            return Response(200, [*status.history, self._version_json(status)] if status.history
                            else [self._version_json(status)])
        if m == "GET" and len(parts) == 5 and parts[:3] == ["api", "v1", "statuses"] and parts[4] == "source":
            account_id = self._auth(req, ctx)
            status = next((s for s in self.statuses if s.id == parts[3] and s.account_id == account_id), None)
            if status is None:
                raise _Reply(404, NOT_FOUND)
            return Response(200, {"id": status.id, "text": status.text, "spoiler_text": status.spoiler_text})
        if m == "GET" and len(parts) == 4 and parts[:3] == ["api", "v1", "media"]:
            return self._get_media(parts[3], req, ctx)
        raise _Reply(404, NOT_FOUND)

    def _get_statuses(self, req: Request) -> Response:
        """`GET /api/v1/statuses?id[]=…` (4.3.0+; older servers have no such route: 404). More than
        20 ids: 422 (server code `check_statuses_limit`, DEFAULT_STATUSES_LIMIT = 20; the docs do not
        say, and the error wording here is ours). Ids the server does not have are left out."""
        if not self._at_least((4, 3)):
            raise _Reply(404, NOT_FOUND)
        ids = req.query.get("id[]", [])
        if len(ids) > STATUSES_LIMIT:
            raise _Reply(422, f"Validation failed: at most {STATUSES_LIMIT} statuses may be requested at once")
        by_id = {s.id: s for s in self.statuses}
        return Response(200, [self.status_json(by_id[i]) for i in ids if i in by_id])

    def _context(self, status_id: str, ctx: _Ctx) -> Response:
        """`GET /api/v1/statuses/:id/context`: ancestors (root first) and every descendant, depth first
        in id order. Without a token the server cuts descendants at 60 (not modelled: we send one)."""
        status = next((s for s in self.statuses if s.id == status_id), None)
        if status is None:
            raise _Reply(404, NOT_FOUND)
        ancestors: list[StoredStatus] = []
        parent = status.in_reply_to_id
        while parent is not None:
            found = next((s for s in self.statuses if s.id == parent), None)
            if found is None:
                break
            ancestors.insert(0, found)
            parent = found.in_reply_to_id
        descendants: list[StoredStatus] = []

        def walk(sid: str) -> None:
            for child in sorted((s for s in self.statuses if s.in_reply_to_id == sid), key=lambda s: int(s.id)):
                descendants.append(child)
                walk(child.id)

        walk(status.id)
        return Response(200, {"ancestors": [self.status_json(s) for s in ancestors],
                              "descendants": [self.status_json(s) for s in descendants]})

    def _post_status(self, req: Request, ctx: _Ctx) -> Response:
        account_id = self._auth(req, ctx)
        ctx.rate = self.statuses_family.state(account_id, ctx.now)  # override_rate_limit_headers family: :statuses
        params = _params(req)
        text = str(params.get("status") or "")
        in_reply_to_id = params.get("in_reply_to_id") or None
        if in_reply_to_id is not None and not any(s.id == str(in_reply_to_id) for s in self.statuses):
            raise _Reply(404, REPLY_NOT_FOUND)
        key = req.header("Idempotency-Key")
        if key:
            seen = self._idempotency.get((account_id, key))
            if seen is not None and ctx.now - seen[1] <= IDEMPOTENCY_TTL:
                return Response(200, self.status_json(next(s for s in self.statuses if s.id == seen[0])))
        media_ids = [str(i) for i in params.get("media_ids") or []]
        if len(media_ids) > self.max_media_attachments:
            raise _Reply(422, f"Cannot attach more than {self.max_media_attachments} files")
        media = [self.media.get(i) for i in media_ids]
        missing = [i for i, x in zip(media_ids, media, strict=True) if x is None or x.account_id != account_id or x.status_id]
        if missing:
            raise _Reply(422, f"Media {', '.join(missing)} not found or already attached to another post")
        attached = tuple(x for x in media if x is not None)
        if any(not x.processed for x in attached):
            raise _Reply(422, NOT_FINISHED)
        visibility = str(params.get("visibility") or "public")
        if visibility not in VISIBILITIES:
            raise _Reply(422, f"'{visibility}' is not a valid visibility")
        spoiler_text = str(params.get("spoiler_text") or "")
        if not text.strip() and not attached:
            raise _Reply(422, "Validation failed: Text can't be blank")
        length = status_length(text, spoiler_text, url_length=self.characters_reserved_per_url)
        if length > self.max_characters:
            raise _Reply(422, f"Validation failed: Text character limit of {self.max_characters} exceeded")
        if not self.statuses_family.hit(account_id, ctx.now):
            raise _Reply(429, TOO_MANY_REQUESTS)
        language = str(params.get("language") or "")
        status = self._store(
            account_id, text, in_reply_to_id=str(in_reply_to_id) if in_reply_to_id else None,
            visibility=visibility, spoiler_text=spoiler_text, sensitive=_truthy(params.get("sensitive")),
            language=language if language.isalpha() and 2 <= len(language) <= 3 else "en",
            idempotency_key=key or None, media=attached,
        )
        for x in attached:
            x.status_id = status.id
        if key:
            self._idempotency[(account_id, key)] = (status.id, ctx.now)
        ctx.rate = self.statuses_family.state(account_id, ctx.now)
        return Response(200, self.status_json(status))

    def _delete_status(self, status_id: str, req: Request, ctx: _Ctx) -> Response:
        """`DELETE /api/v1/statuses/:id`: the status as it was, with its source `text` (for a redraft).
        404 "Record not found" for one that is gone or not this account's. Over the delete
        throttle: 429 with that throttle's headers (rack_attack's throttled responder)."""
        account_id = self._auth(req, ctx)
        if not self.deletes.hit(account_id, ctx.now):
            limit, _, reset = self.deletes.state(account_id, ctx.now)
            ctx.rate = (limit, 0, reset)
            raise _Reply(429, TOO_MANY_REQUESTS)
        status = next((s for s in self.statuses if s.id == status_id and s.account_id == account_id), None)
        if status is None:
            raise _Reply(404, NOT_FOUND)
        body = {**self.status_json(status), "text": status.text}
        self.statuses.remove(status)  # replies survive (server code: `has_many :replies`, no `dependent`)
        self.deleted.append(status)
        return Response(200, body)

    def _version_json(self, status: StoredStatus) -> dict[str, Any]:
        """A StatusEdit entity: one version of a status."""
        return {"content": status.content, "spoiler_text": status.spoiler_text, "sensitive": status.sensitive,
                "created_at": iso8601(status.edited_at or status.created_at),
                "account": self.account_json(status.account_id),
                "media_attachments": [self.media_json(m) for m in status.media], "emojis": [], "poll": None}

    def _edit_status(self, status_id: str, req: Request, ctx: _Ctx) -> Response:
        """`PUT /api/v1/statuses/:id`: a full replace (the controller always passes `media_ids` and
        `spoiler_text`, so leaving them out detaches the media and clears the CW). Every accepted
        edit adds a version to the history, even one that changes nothing; it counts against the
        :statuses family (`StatusEdit` rate limit). 404 for a status that is gone or not ours."""
        account_id = self._auth(req, ctx)
        ctx.rate = self.statuses_family.state(account_id, ctx.now)
        status = next((s for s in self.statuses if s.id == status_id and s.account_id == account_id), None)
        if status is None:
            raise _Reply(404, NOT_FOUND)
        params = _params(req)
        text = str(params.get("status") or "")
        spoiler_text = str(params.get("spoiler_text") or "")
        media_ids = [str(i) for i in params.get("media_ids") or []]
        if len(media_ids) > self.max_media_attachments:
            raise _Reply(422, f"Cannot attach more than {self.max_media_attachments} files")
        media = [self.media.get(i) for i in media_ids]
        missing = [i for i, x in zip(media_ids, media, strict=True)
                   if x is None or x.account_id != account_id or (x.status_id not in (None, status.id))]
        if missing:
            raise _Reply(422, f"Media {', '.join(missing)} not found or already attached to another post")
        attached = tuple(x for x in media if x is not None)
        if not text.strip() and not attached:
            raise _Reply(422, "Validation failed: Text can't be blank")
        if status_length(text, spoiler_text, url_length=self.characters_reserved_per_url) > self.max_characters:
            raise _Reply(422, f"Validation failed: Text character limit of {self.max_characters} exceeded")
        if not self.statuses_family.hit(account_id, ctx.now):
            raise _Reply(429, TOO_MANY_REQUESTS)
        status.history.append(self._version_json(status))  # the version this edit replaces
        for x in status.media:
            if x not in attached:
                x.status_id = None
        for x in attached:
            x.status_id = status.id
        status.text, status.spoiler_text, status.media = text, spoiler_text, attached
        status.content = render_content(text, self.base_url)
        status.sensitive = _truthy(params.get("sensitive"))
        status.edited_at = ctx.now
        ctx.rate = self.statuses_family.state(account_id, ctx.now)
        return Response(200, self.status_json(status))

    def _post_media(self, req: Request, ctx: _Ctx, *, synchronous: bool) -> Response:
        account_id = self._auth(req, ctx)
        if not self.media_family.hit(account_id, ctx.now):
            ctx.rate = self.media_family.state(account_id, ctx.now)
            raise _Reply(429, TOO_MANY_REQUESTS)
        ctx.rate = min(ctx.rate, self.media_family.state(account_id, ctx.now), key=lambda r: r[1])
        upload = req.files.get("file")
        if upload is None:
            raise _Reply(422, "Validation failed: File can't be blank")
        if len(upload.data) > self.image_size_limit:
            raise _Reply(422, f"Validation failed: File file size must be less than {self.image_size_limit // 2**20} MB")
        description = req.form["description"][-1] if req.form.get("description") else None
        if description is not None and len(description) > self.description_limit:
            raise _Reply(422, "Validation failed: Description is too long "
                              f"(maximum is {self.description_limit} characters)")
        polls = 0 if synchronous else self.media_processing_polls
        media = StoredMedia(self._next_id(), account_id, upload.data, upload.mime_type, upload.file_name,
                            description, polls)
        self.media[media.id] = media
        return Response(200 if media.processed else 202, self.media_json(media))

    def _get_media(self, media_id: str, req: Request, ctx: _Ctx) -> Response:
        account_id = self._auth(req, ctx)
        media = self.media.get(media_id)
        if media is None or media.account_id != account_id:
            raise _Reply(404, NOT_FOUND)
        if media.polls_left:
            media.polls_left -= 1
        return Response(200 if media.processed else 206, self.media_json(media))

    def _account_statuses(self, account_id: str, req: Request) -> Response:
        if account_id not in self.accounts:
            raise _Reply(404, NOT_FOUND)
        q = {k: v[-1] for k, v in req.query.items()}
        found = sorted(self.statuses_of(account_id), key=lambda s: int(s.id), reverse=True)
        if "max_id" in q:
            found = [s for s in found if int(s.id) < int(q["max_id"])]
        if "since_id" in q or "min_id" in q:
            found = [s for s in found if int(s.id) > int(q.get("since_id") or q["min_id"])]
        if _truthy(q.get("exclude_replies")):
            found = [s for s in found if s.in_reply_to_id is None]
        limit = min(int(q.get("limit") or 20), 40)
        return Response(200, [self.status_json(s) for s in found[:limit]])


def _params(req: Request) -> dict[str, Any]:
    """Status params from a JSON body, or a form where `media_ids[]` repeats."""
    if isinstance(req.json, dict):
        return req.json
    return {(k[:-2] if k.endswith("[]") else k): (v if k.endswith("[]") else v[-1]) for k, v in req.form.items()}


def _truthy(value: Any) -> bool:
    return str(value).lower() in ("1", "true", "on") if value is not None else False
