"""A fake of the X API v2 endpoints syndicate uses, held to X's published spec.

Served on 127.0.0.1:<port 0> by `fakes._http.FakeHTTPServer`; tweepy and
requests_oauthlib run against it unmodified.

Sources (docs/platforms.md §1 in this repository says what each fact is):
* X's OpenAPI spec, github.com/xdevplatform/docs `openapi.json`, info.version
  2.167 (commit 2871328, 2026-08-22), vendored in part as `spec/x_openapi.json`:
  request bodies (`CreatePostsRequest`, `MediaUploadRequest`,
  `CreateMediaMetadataRequest`, all closed to unknown fields where the spec
  says so), query parameters, and each operation's OAuth 2 scopes (`security`).
* docs.x.com/x-api/fundamentals/response-codes-and-errors and rate-limits
  (2026-07-24): problem JSON bodies, `x-rate-limit-*` headers, per-user limits.
* docs.x.com/x-api/posts/manage-tweets/introduction and the changelog entry of
  2026-02-23: replies only where the parent's author summoned you.
* Reported, not in X's docs (docs/platforms.md §1.1): 402 `CreditsDepleted`
  (problem type `.../problems/credits`), 403 "Monthly spend cap reached".

What it checks:
* OAuth 1.0a: `Authorization: OAuth ...` with the expected consumer key and
  token, and (by default) a correct HMAC-SHA1 signature over the URL actually
  requested; or `Bearer <oauth2 user token>` carrying the operation's scopes
  (`oauth2_scopes`; a missing one: 403). Else 401 problem JSON.
* Every request against the vendored spec (`fakes._x_spec`): unknown body
  fields or query parameters, wrong types, patterns, enums → 400
  `invalid-request` with X's message style. Nothing is stored.
* Billing: `credits_depleted` → 402 CreditsDepleted, `spend_cap_reached` → 403,
  on every request (reads too), until a test "tops up" (sets them False).
* `POST /2/tweets`: weighted length by `syndicate.compose.length.x_length`
  (> 280: refused with X's "Your Tweet text is too long..." wording), duplicate
  text (403), reply restriction (a reply to a post by someone else who did not
  mention us → 403, in the `reply_refusal` wording: "current" or "feb2026";
  replies to our own posts are allowed unless `self_replies_allowed = False`),
  reply parent must exist, media ids must have been uploaded. Ids are
  snowflake-like, increasing. The answer's text has links rewritten to t.co
  and `&<>` HTML-escaped, as X does.
* `GET /2/users/me`, `GET /2/users/:id/tweets` (newest first, `max_results` 5..100).
* `POST /2/media/upload` (multipart `media` + `media_category`; a `tweet_gif`
  must be a GIF), `POST /2/media/metadata` (alt text ≤ 1000).
* Rate limits per endpoint with `x-rate-limit-limit|remaining|reset` (epoch
  seconds) on every answer; optional `x-user-limit-24hour-*` via `set_daily_limit`.

Tests read back `fake.tweets` (text as sent, reply_to, media ids, alt texts),
`fake.media`, and the request log `fake.requests`.
"""

from __future__ import annotations

import base64
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from oauthlib.oauth1 import Client as OAuth1Client
from oauthlib.oauth1.rfc5849 import signature as oauth_signature

from fakes import _x_spec
from fakes._http import FakeHTTPServer, Request, Response
from fakes._x_wire import (
    CREDITS_DEPLETED,
    CURRENT_REPLY_REFUSED_DETAIL,
    DELETED_PARENT_DETAIL,
    DUPLICATE_DETAIL,
    OAUTH1_PERMISSIONS_DETAIL,
    REPLY_REFUSED_DETAIL,
    REPLY_REFUSED_TYPE,
    SCOPE_FORBIDDEN,
    SPEND_CAP,
    TOO_LONG_DETAIL,
    TOO_MANY,
    UNAUTHORIZED,
    display_text,
    image_type,
    invalid_request,
    invalid_request_messages,
    parse_multipart,
    problem,
)
from syndicate.compose.length import x_length
from syndicate.platforms.x import MEDIA_METADATA, MEDIA_UPLOAD, TWEET, TWEETS, USER_TWEETS, USERS_ME

__all__ = [
    "CURRENT_REPLY_REFUSED_DETAIL", "DUPLICATE_DETAIL", "REPLY_REFUSED_DETAIL", "TOO_LONG_DETAIL", "StoredMedia", "StoredTweet", "XApiFake",
    "display_text",
]

WINDOW = 900.0  # X's 15-minute windows
DEFAULT_LIMITS = {  # per user, docs/platforms.md §1.3 (pay-per-use era)
    f"POST {TWEETS}": 100,
    f"GET {USERS_ME}": 75,
    "GET /2/users/:id/tweets": 900,
    f"POST {MEDIA_UPLOAD}": 500,
    f"POST {MEDIA_METADATA}": 500,
    "DELETE /2/tweets/:id": 50,  # delete-post: 50 / 15 min per user (platforms-engagement.md §4)
    "GET /2/tweets/:id": 900,  # post lookup: 900 / 15 min per user (rate-limits.mdx)
    f"GET {TWEETS}": 900,  # posts lookup by ids: 900 / 15 min per user (rate-limits.mdx)
}
MAX_LOOKUP_IDS = 100  # GET /2/tweets `ids`: maxItems 100 (platforms-engagement.md §1)
_TWITTER_EPOCH_MS = 1288834974657
ALL_OAUTH2_SCOPES = frozenset({"tweet.read", "tweet.write", "users.read", "media.write", "offline.access"})
_USER_TWEETS = re.compile(USER_TWEETS.replace("{id}", r"(?P<id>\d+)"))
_TWEET = re.compile(TWEET.replace("{id}", r"(?P<id>\d+)"))
NOT_DELETABLE_DETAIL = "You are not allowed to delete this Tweet."


@dataclass
class StoredTweet:
    id: str
    text: str  # exactly as sent
    reply_to: str | None
    media_ids: tuple[str, ...]
    alt_texts: tuple[str | None, ...]
    created_at: float
    author_id: str = ""
    likes: int = 0  # public_metrics, scripted by tests (`set_metrics`); reply_count is real
    reposts: int = 0
    quotes: int = 0


@dataclass
class StoredMedia:
    id: str
    media_key: str
    mime_type: str | None
    size: int
    category: str
    alt_text: str | None = None


@dataclass
class _Bucket:
    limit: int
    window: float
    remaining: int
    reset: int


class XApiFake(FakeHTTPServer):
    def __init__(
        self,
        *,
        consumer_key: str = "fake-consumer-key",
        consumer_secret: str = "fake-consumer-secret",
        access_token: str = "1500000000000000001-fakeaccesstoken",
        access_token_secret: str = "fake-access-token-secret",
        oauth2_token: str | None = None,
        oauth2_scopes: frozenset[str] = ALL_OAUTH2_SCOPES,
        user_id: str = "1500000000000000001",
        username: str = "syndicate_test",
        name: str = "Syndicate Test",
        clock: Callable[[], float] = time.time,
        verify_signatures: bool = True,
    ) -> None:
        super().__init__()
        # The counter may build its tables on first use; do that here, not inside a client's timeout.
        x_length("warm-up https://example.com/ #tag")
        self.consumer_key, self.consumer_secret = consumer_key, consumer_secret
        self.access_token, self.access_token_secret = access_token, access_token_secret
        self.oauth2_token = oauth2_token
        self.oauth2_scopes = oauth2_scopes
        self.user = {"id": user_id, "name": name, "username": username}
        self.clock = clock
        self.verify_signatures = verify_signatures
        self.tweets: list[StoredTweet] = []
        self.media: dict[str, StoredMedia] = {}
        self.self_replies_allowed = True  # X's docs leave self-threads unstated; False: a tier that refuses them
        self.reply_refusal = "current"  # which wording refuses a reply: "current" or "feb2026"
        self.credits_depleted = False  # True: every request answers 402 CreditsDepleted, until topped up
        self.spend_cap_reached = False  # True: every request answers 403 "Monthly spend cap reached"
        self.read_only = False  # True: writes refused with 403 oauth1-permissions
        self.max_length = 280
        self.too_long_status = 403
        self._last_id = 0
        self._buckets: dict[str, _Bucket] = {}
        self._daily: dict[str, tuple[str, _Bucket]] = {}
        self._rate_lock = threading.Lock()
        for key, limit in DEFAULT_LIMITS.items():
            self.set_limit(key, limit)
        self.route("POST", TWEETS, self._create_tweet)
        self.route("GET", USERS_ME, self._me)
        self.route("GET", _USER_TWEETS.pattern, self._user_tweets)
        self.route("POST", MEDIA_UPLOAD, self._upload)
        self.route("POST", MEDIA_METADATA, self._metadata)
        self.route("DELETE", _TWEET.pattern, self._delete_tweet)
        self.route("GET", _TWEET.pattern, self._get_tweet)
        self.route("GET", TWEETS, self._get_tweets)
        # Billing of reads ($0.005 per post returned, pricing.mdx): every post a lookup returned.
        self.posts_read = 0
        self.metrics_name = "retweet_count"  # or "repost_count" (the OpenAPI spec since 2026-08; wire unverified)
        self.deleted: list[StoredTweet] = []  # in the order they were deleted
        # What DELETE answers for a post that is not there; X does not document it: "404" (a
        # resource-not-found problem) or "deleted-false" (200 {"data": {"deleted": false}}).
        self.delete_missing = "404"

    # -- configuration --------------------------------------------------------

    def set_limit(self, endpoint: str, limit: int, *, window: float = WINDOW, remaining: int | None = None) -> None:
        """E.g. set_limit("POST /2/tweets", 3): three posts per window, then 429."""
        reset = int(self.clock() + window)
        with self._rate_lock:
            self._buckets[endpoint] = _Bucket(limit, window, limit if remaining is None else remaining, reset)

    def set_daily_limit(
        self, endpoint: str, limit: int, *, remaining: int | None = None, scope: str = "user"
    ) -> None:
        """Send `x-<scope>-limit-24hour-*` on this endpoint, and enforce that cap too."""
        reset = int(self.clock() + 86400)
        with self._rate_lock:
            self._daily[endpoint] = (scope, _Bucket(limit, 86400.0, limit if remaining is None else remaining, reset))

    def seed(self, text: str, *, reply_to: str | None = None, author_id: str | None = None) -> StoredTweet:
        """A post that already exists: ours (made by an earlier run, say), or by `author_id`."""
        with self.lock:
            return self._store(text, reply_to, (), (), author_id=author_id)

    def set_metrics(self, tweet_id: str, *, likes: int | None = None, reposts: int | None = None,
                    quotes: int | None = None) -> None:
        with self.lock:
            t = next(t for t in self.tweets if t.id == tweet_id)
            t.likes = t.likes if likes is None else likes
            t.reposts = t.reposts if reposts is None else reposts
            t.quotes = t.quotes if quotes is None else quotes

    def tweet(self, tweet_id: str) -> StoredTweet | None:
        with self.lock:
            return next((t for t in self.tweets if t.id == tweet_id), None)

    # -- hooks: auth and rate limits --------------------------------------------

    def before(self, request: Request) -> Response | None:
        if not self._authorized(request):
            return Response.json(401, UNAUTHORIZED)
        op = _x_spec.operation(request.method, request.path)
        if op is not None and request.headers.get("authorization", "").startswith("Bearer "):
            if not op.oauth2_scopes <= self.oauth2_scopes:
                return Response.json(403, SCOPE_FORBIDDEN)
        refused = self._against_spec(request, op)
        if refused is not None:
            return refused
        if self.credits_depleted:
            return Response.json(402, CREDITS_DEPLETED)
        if self.spend_cap_reached:
            return Response.json(403, SPEND_CAP)
        key = self._endpoint(request)
        now = self.clock()
        with self._rate_lock:
            buckets = [b for b in (self._buckets.get(key), self._daily.get(key, ("", None))[1]) if b]
            for b in buckets:
                if now >= b.reset:
                    b.remaining, b.reset = b.limit, int(now + b.window)
            if any(b.remaining <= 0 for b in buckets):
                return Response.json(429, TOO_MANY)
            for b in buckets:
                b.remaining -= 1
        return None

    def after(self, request: Request, response: Response) -> Response:
        key = self._endpoint(request)
        with self._rate_lock:
            bucket = self._buckets.get(key)
            if bucket:
                response.headers.update({
                    "x-rate-limit-limit": str(bucket.limit),
                    "x-rate-limit-remaining": str(max(bucket.remaining, 0)),
                    "x-rate-limit-reset": str(bucket.reset),
                })
            if key in self._daily:
                scope, day = self._daily[key]
                response.headers.update({
                    f"x-{scope}-limit-24hour-limit": str(day.limit),
                    f"x-{scope}-limit-24hour-remaining": str(max(day.remaining, 0)),
                    f"x-{scope}-limit-24hour-reset": str(day.reset),
                })
        response.headers.setdefault("x-access-level", "read" if self.read_only else "read-write")
        return response

    def _against_spec(self, request: Request, op: _x_spec.Operation | None) -> Response | None:
        """X validates every request against its schema before doing anything: 400 invalid-request."""
        if op is None:
            return None  # not an operation we serve: the route table answers 404
        bad_query = _x_spec.query_violations(op, request.query)
        if bad_query:
            name, message = bad_query[0]
            _x_spec.REFUSED.append(f"{request.method} {request.path}: {message}")
            return invalid_request(message, name, request.param(name) or "")
        if op.body_schema is None:
            return None
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("multipart/form-data"):
            body: Any = _x_spec.multipart_fields_as_body(parse_multipart(request.body, content_type))
        else:
            try:
                body = request.json()
            except ValueError:
                _x_spec.REFUSED.append(f"{request.method} {request.path}: body is not JSON")
                return invalid_request_messages(["$: the request body is not valid JSON"])
        messages = _x_spec.body_violations(op, body)
        if not messages:
            return None
        _x_spec.REFUSED.append(f"{request.method} {request.path}: {'; '.join(messages)}")
        return invalid_request_messages(messages)

    def _endpoint(self, request: Request) -> str:
        path = _USER_TWEETS.sub("/2/users/:id/tweets", request.path)
        path = _TWEET.sub("/2/tweets/:id", path)
        return f"{request.method} {path}"

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if header.startswith("Bearer "):
            return self.oauth2_token is not None and header[len("Bearer "):] == self.oauth2_token
        if not header.startswith("OAuth "):
            return False
        params = {}
        for part in header[len("OAuth "):].split(","):
            key, _, value = part.strip().partition("=")
            params[unquote(key)] = unquote(value.strip('"'))
        if params.get("oauth_consumer_key") != self.consumer_key or params.get("oauth_token") != self.access_token:
            return False
        if not params.get("oauth_signature") or params.get("oauth_signature_method") != "HMAC-SHA1":
            return False
        if not self.verify_signatures:
            return True
        # The base string covers the URL the client signed; a rebasing bug (signing
        # one host, sending to another) fails here just as it would at X.
        pairs = [(k, v) for k, vs in request.query.items() for v in vs]
        pairs += [(k, v) for k, v in params.items() if k not in ("oauth_signature", "realm")]
        base = oauth_signature.signature_base_string(
            request.method,
            oauth_signature.base_string_uri(f"http://{request.headers.get('host', '')}{request.path}"),
            oauth_signature.normalize_parameters(pairs),
        )
        signer = OAuth1Client(self.consumer_key, client_secret=self.consumer_secret,
                              resource_owner_secret=self.access_token_secret)
        expected: str = oauth_signature.sign_hmac_sha1_with_client(base, signer)
        return expected == params["oauth_signature"]

    # -- handlers ------------------------------------------------------------------

    def _create_tweet(self, request: Request, _: dict[str, str]) -> Response:
        if self.read_only:
            return problem(403, "Forbidden", OAUTH1_PERMISSIONS_DETAIL, "https://api.twitter.com/2/problems/oauth1-permissions")
        try:
            body = request.json()
        except ValueError:
            return invalid_request("Request body is not valid JSON", "body", "")
        if not isinstance(body, dict):
            return invalid_request("Request body must be an object", "body", "")
        text = body.get("text")
        media = body.get("media") or {}
        media_ids = media.get("media_ids") or []
        if text is not None and not isinstance(text, str):
            return invalid_request("`text` must be a string", "text", text)
        if not text and not media_ids:
            return invalid_request("Post text or media is required", "text", "")
        if text and x_length(text) > self.max_length:
            title = "Forbidden" if self.too_long_status == 403 else "Bad Request"
            return problem(self.too_long_status, title, TOO_LONG_DETAIL)
        if not 0 <= len(media_ids) <= 4 or any(not str(m).isdigit() for m in media_ids):
            return invalid_request("Your media IDs are invalid.", "media.media_ids", media_ids)
        with self.lock:
            if any(str(m) not in self.media for m in media_ids):
                return invalid_request("Your media IDs are invalid.", "media.media_ids", media_ids)
            reply = body.get("reply")
            parent: str | None = None
            if reply is not None:
                parent = str((reply or {}).get("in_reply_to_tweet_id") or "")
                if not re.fullmatch(r"[0-9]{1,19}", parent):
                    return invalid_request("`reply.in_reply_to_tweet_id` is invalid", "reply.in_reply_to_tweet_id", parent)
                parent_tweet = self.tweet(parent)
                if parent_tweet is None:
                    return problem(403, "Forbidden", DELETED_PARENT_DETAIL)
                if not self._may_reply_to(parent_tweet):
                    if self.reply_refusal == "feb2026":
                        return problem(403, "Forbidden", REPLY_REFUSED_DETAIL)
                    return problem(403, "Forbidden", CURRENT_REPLY_REFUSED_DETAIL, REPLY_REFUSED_TYPE)
            if text and any(t.text == text for t in self.tweets):
                return problem(403, "Forbidden", DUPLICATE_DETAIL)
            ids = tuple(str(m) for m in media_ids)
            stored = self._store(text or "", parent, ids, tuple(self.media[m].alt_text for m in ids))
        return Response.json(201, {"data": {
            "id": stored.id, "text": display_text(stored.text), "edit_history_tweet_ids": [stored.id],
        }})

    def _delete_tweet(self, request: Request, match: dict[str, str]) -> Response:
        """`DELETE /2/tweets/:id` → `{"data": {"deleted": true}}` (deletePosts, DeletePostsResponse)."""
        if self.read_only:
            return problem(403, "Forbidden", OAUTH1_PERMISSIONS_DETAIL, "https://api.twitter.com/2/problems/oauth1-permissions")
        with self.lock:
            tweet = self.tweet(match["id"])
            if tweet is None:
                if self.delete_missing == "deleted-false":
                    return Response.json(200, {"data": {"deleted": False}})
                return problem(404, "Not Found Error", f"Could not find tweet with id: [{match['id']}].",
                               "https://api.twitter.com/2/problems/resource-not-found")
            if tweet.author_id != self.user["id"]:
                return problem(403, "Forbidden", NOT_DELETABLE_DETAIL)
            self.tweets.remove(tweet)
            self.deleted.append(tweet)
        return Response.json(200, {"data": {"deleted": True}})

    def _get_tweet(self, request: Request, match: dict[str, str]) -> Response:
        """`GET /2/tweets/:id`: a post that is not there is a 200 with a resource-not-found error."""
        tweet = self.tweet(match["id"])
        if tweet is None:
            return Response.json(200, {"errors": [{
                "value": match["id"], "detail": f"Could not find tweet with id: [{match['id']}].",
                "title": "Not Found Error", "resource_type": "tweet", "parameter": "id",
                "resource_id": match["id"], "type": "https://api.twitter.com/2/problems/resource-not-found",
            }]})
        return Response.json(200, {"data": {"id": tweet.id, "text": display_text(tweet.text),
                                            "edit_history_tweet_ids": [tweet.id]}})

    def _get_tweets(self, request: Request, _: dict[str, str]) -> Response:
        """`GET /2/tweets?ids=…` (≤ 100, comma-separated): the posts found, in the order asked, and a
        resource-not-found error for each id that is not there. `public_metrics` only when asked for
        in `tweet.fields`. Not in the vendored spec subset (spec/x_openapi.json): checked here by hand."""
        raw = request.param("ids") or ""
        ids = [i for i in raw.split(",") if i]
        if not ids or len(ids) > MAX_LOOKUP_IDS or not all(i.isdigit() for i in ids):
            return invalid_request(f"The `ids` query parameter value [{raw}] is not valid: 1 to "
                                   f"{MAX_LOOKUP_IDS} post ids", "ids", raw)
        fields = set((request.param("tweet.fields") or "").split(","))
        data, errors = [], []
        with self.lock:
            for i in ids:
                t = next((t for t in self.tweets if t.id == i), None)
                if t is None:
                    errors.append({"value": i, "detail": f"Could not find tweet with id: [{i}].",
                                   "title": "Not Found Error", "resource_type": "tweet", "parameter": "ids",
                                   "resource_id": i, "type": "https://api.twitter.com/2/problems/resource-not-found"})
                    continue
                item: dict[str, Any] = {"id": t.id, "text": display_text(t.text), "edit_history_tweet_ids": [t.id]}
                if "public_metrics" in fields:
                    item["public_metrics"] = {
                        self.metrics_name: t.reposts, "reply_count": sum(1 for r in self.tweets if r.reply_to == t.id),
                        "like_count": t.likes, "quote_count": t.quotes, "bookmark_count": 0, "impression_count": 0}
                data.append(item)
            self.posts_read += len(data)
        body: dict[str, Any] = {"data": data} if data else {}
        if errors:
            body["errors"] = errors
        return Response.json(200, body)

    def _may_reply_to(self, parent: StoredTweet) -> bool:
        """Self-serve replies: to our own posts, or where the parent's author mentioned us."""
        if parent.author_id == self.user["id"]:
            return self.self_replies_allowed
        return f"@{self.user['username']}".lower() in parent.text.lower()

    def _store(self, text: str, reply_to: str | None, media_ids: tuple[str, ...], alts: tuple[str | None, ...],
               *, author_id: str | None = None) -> StoredTweet:
        stored = StoredTweet(self._next_id(), text, reply_to, media_ids, alts, self.clock(),
                             author_id or self.user["id"])
        self.tweets.append(stored)
        return stored

    def _next_id(self) -> str:
        snowflake = (int(self.clock() * 1000) - _TWITTER_EPOCH_MS) << 22
        self._last_id = max(self._last_id + 1, snowflake)
        return str(self._last_id)

    def _me(self, request: Request, _: dict[str, str]) -> Response:
        return Response.json(200, {"data": dict(self.user)})

    def _user_tweets(self, request: Request, match: dict[str, str]) -> Response:
        raw = request.param("max_results") or "10"
        if not raw.isdigit() or not 5 <= int(raw) <= 100:
            return invalid_request(
                f"The `max_results` query parameter value [{raw}] is not between 5 and 100", "max_results", raw
            )
        if match["id"] != self.user["id"]:
            return Response.json(200, {"errors": [{
                "value": match["id"], "detail": f"Could not find user with id: [{match['id']}].",
                "title": "Not Found Error", "resource_type": "user", "parameter": "id",
                "resource_id": match["id"], "type": "https://api.twitter.com/2/problems/resource-not-found",
            }]})
        fields = set((request.param("tweet.fields") or "").split(","))
        with self.lock:
            ours = [t for t in self.tweets if t.author_id == self.user["id"]]
            newest = sorted(ours, key=lambda t: int(t.id), reverse=True)[: int(raw)]
        data = []
        for t in newest:
            item: dict[str, Any] = {"id": t.id, "text": display_text(t.text), "edit_history_tweet_ids": [t.id]}
            if "referenced_tweets" in fields and t.reply_to:
                item["referenced_tweets"] = [{"type": "replied_to", "id": t.reply_to}]
            if "created_at" in fields:
                item["created_at"] = datetime.fromtimestamp(t.created_at, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
            if "author_id" in fields:
                item["author_id"] = self.user["id"]
            data.append(item)
        if not data:
            return Response.json(200, {"meta": {"result_count": 0}})
        meta = {"result_count": len(data), "newest_id": data[0]["id"], "oldest_id": data[-1]["id"]}
        return Response.json(200, {"data": data, "meta": meta})

    def _upload(self, request: Request, _: dict[str, str]) -> Response:
        if self.read_only:
            return problem(403, "Forbidden", OAUTH1_PERMISSIONS_DETAIL, "https://api.twitter.com/2/problems/oauth1-permissions")
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("multipart/form-data"):
            fields = parse_multipart(request.body, content_type)
        else:
            try:
                body = request.json()
                fields = {k: (base64.b64decode(v) if k == "media" else str(v).encode()) for k, v in body.items()}
            except (ValueError, AttributeError):
                return invalid_request("Request body is not valid", "body", "")
        category = fields.get("media_category", b"").decode()  # present and in the enum: the spec checked
        data = fields.get("media")
        if not data:
            return invalid_request("media is required", "media", "")
        mime = image_type(data)
        if category == "tweet_image" and (mime is None or len(data) > 5 * 1024 * 1024):
            return invalid_request("Image must be JPG, PNG, GIF or WEBP, at most 5 MB", "media", len(data))
        if category == "tweet_gif" and (mime != "image/gif" or len(data) > 15 * 1024 * 1024):
            return invalid_request("A tweet_gif must be a GIF, at most 15 MB", "media", len(data))
        with self.lock:
            media_id = self._next_id()
            self.media[media_id] = StoredMedia(media_id, f"3_{media_id}", mime, len(data), category)
        return Response.json(200, {"data": {
            "id": media_id, "media_key": f"3_{media_id}", "size": len(data), "expires_after_secs": 86400,
            "image": {"image_type": mime},
        }})

    def _metadata(self, request: Request, _: dict[str, str]) -> Response:
        try:
            body = request.json()
            media_id = str(body["id"])
            alt = body["metadata"]["alt_text"]["text"]
        except (ValueError, KeyError, TypeError):
            return invalid_request("`id` and `metadata.alt_text.text` are required", "body", "")
        if not isinstance(alt, str) or len(alt) > 1000:
            return invalid_request("alt_text.text must be at most 1000 characters", "metadata.alt_text.text", len(str(alt)))
        with self.lock:
            if media_id not in self.media:
                return invalid_request(f"Media id {media_id} not found", "id", media_id)
            self.media[media_id].alt_text = alt
        return Response.json(200, {"data": {"id": media_id, "associated_metadata": {"alt_text": {"text": alt}}}})
