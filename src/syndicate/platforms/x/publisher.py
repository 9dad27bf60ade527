"""Publish to X (Twitter) through API v2, on tweepy's `Client`.

API reference: https://docs.x.com/x-api/posts/create-post (`POST /2/tweets`),
https://docs.x.com/x-api/users/get-my-user (`GET /2/users/me`),
https://docs.x.com/x-api/users/get-posts (`GET /2/users/:id/tweets`),
https://docs.x.com/x-api/media/upload-media and .../media/metadata-create.
What we rely on is summarised, with sources, in docs/platforms.md §1 (in this repository).

How tweepy is pointed at `settings.api_base`: `tweepy.Client.request` hard-codes
`https://api.twitter.com` but sends everything through its public `session`
attribute. We give it our own `requests.Session` subclass (`x/client.py`, `XSession`)
that rebases that host onto `api_base` before the request is signed, and adds
the timeout tweepy never sets. tweepy itself is not patched. Media upload and
alt text (absent from tweepy 4.17) use the same session and signing.

tweepy, requests and requests_oauthlib are imported inside the constructor, so
importing this module is cheap. Every failure is translated in one context
manager (`x/errors.py`, `translate`). X has no idempotency key: after a timeout, the
delivery engine calls `find()`, which looks for the post among the account's latest ones,
before anyone resends.
"""

from __future__ import annotations

import html
import logging
import os
import re
import time
import unicodedata
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Any

from syndicate.errors import (
    AuthError,
    Permanent,
    PlatformError,
    RateLimited,
    Transient,
    Unknown,
)
from syndicate.model import Limits, Post, Receipt, ReplyTo
from syndicate.platforms.base import AccountInfo, PartIdentity, RateInfo
from syndicate.platforms.secrets import read_secret
from syndicate.settings import XSettings, secret_variable

if TYPE_CHECKING:
    from syndicate.netguard import FetchPolicy
    from syndicate.settings import Account
    from syndicate.store import Store

__all__ = [
    "ENV_ACCESS_TOKEN",
    "ENV_ACCESS_TOKEN_SECRET",
    "ENV_CONSUMER_KEY",
    "ENV_CONSUMER_SECRET",
    "ENV_OAUTH2_TOKEN",
    "MAX_CHARACTERS",
    "OAUTH2_SCOPES",
    "XCredentials",
    "XPublisher",
    "open_publisher",
]

log = logging.getLogger(__name__)

# Endpoints (the fake server in tests/fakes/x_api.py serves these same constants).
TWEETS = "/2/tweets"
TWEET = "/2/tweets/{id}"  # DELETE (a retraction) and GET (is it still there?)
USERS_ME = "/2/users/me"
USER_TWEETS = "/2/users/{id}/tweets"
MEDIA_UPLOAD = "/2/media/upload"
MEDIA_METADATA = "/2/media/metadata"

ENV_CONSUMER_KEY = "SYNDICATE_X_CONSUMER_KEY"
ENV_CONSUMER_SECRET = "SYNDICATE_X_CONSUMER_SECRET"
ENV_ACCESS_TOKEN = "SYNDICATE_X_ACCESS_TOKEN"
ENV_ACCESS_TOKEN_SECRET = "SYNDICATE_X_ACCESS_TOKEN_SECRET"
ENV_OAUTH2_TOKEN = "SYNDICATE_X_OAUTH2_TOKEN"
OAUTH1_VARS = (ENV_CONSUMER_KEY, ENV_CONSUMER_SECRET, ENV_ACCESS_TOKEN, ENV_ACCESS_TOKEN_SECRET)

# What an OAuth 2 user token must carry: posting needs tweet.read tweet.write users.read (openapi
# `createPosts` security), images media.write (`mediaUpload`, `createMediaMetadata`); offline.access
# only if you refresh the token yourself. docs/platforms.md §1.8.
OAUTH2_SCOPES = "tweet.read tweet.write users.read media.write"

MAX_CHARACTERS = 280
MAX_IMAGES = 4
MAX_IMAGE_BYTES = 5 * 1024 * 1024  # POST /2/media/upload takes images up to 5 MB
FIND_DEPTH = 20  # recent posts `find` looks through (X allows 5..100)


@dataclass(frozen=True, repr=False)
class XCredentials:
    """OAuth 1.0a user-context keys of the posting account, or an OAuth 2 user access token."""

    consumer_key: str = ""
    consumer_secret: str = ""
    access_token: str = ""
    access_token_secret: str = ""
    bearer_user_token: str | None = None  # OAuth 2.0 PKCE user token: then requests use user_auth=False

    @property
    def user_auth(self) -> bool:
        """tweepy's `user_auth`: True signs with OAuth 1.0a; False sends the OAuth 2 user token."""
        return not self.bearer_user_token

    def secrets(self) -> tuple[str, ...]:
        values = (self.consumer_key, self.consumer_secret, self.access_token, self.access_token_secret)
        return tuple(v for v in (*values, self.bearer_user_token or "") if v)

    def __repr__(self) -> str:
        mode = "oauth1" if self.user_auth else "oauth2-user-token"
        return f"XCredentials({mode}, ***)"

    __str__ = __repr__

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, account: str | None = None) -> XCredentials:
        """Read SYNDICATE_X_* variables (each may instead name a file in `<VAR>_FILE`).

        SYNDICATE_X_OAUTH2_TOKEN, when set, selects OAuth 2; otherwise all four
        OAuth 1.0a variables are required. Raises AuthError naming what is missing.
        An account other than [x] reads `<VAR>__<ACCOUNT>` (settings.secret_variable); the
        consumer key and secret are the app's, so the plain variables serve unless it has its own.
        """
        env = os.environ if environ is None else environ
        token = read_secret(env, secret_variable(ENV_OAUTH2_TOKEN, account), platform="x")
        if token:
            return cls(bearer_user_token=token)
        names = {name: secret_variable(name, account) for name in OAUTH1_VARS}
        values = {name: read_secret(env, var, platform="x") for name, var in names.items()}
        for app_var in (ENV_CONSUMER_KEY, ENV_CONSUMER_SECRET):
            if not values[app_var] and names[app_var] != app_var:
                values[app_var] = read_secret(env, app_var, platform="x")
        missing = [names[name] for name, value in values.items() if not value]
        if missing:
            raise AuthError(
                "x",
                f"missing credentials: set {', '.join(missing)} (or {missing[0]}_FILE naming a file), "
                f"or {secret_variable(ENV_OAUTH2_TOKEN, account)} for an OAuth 2 user token",
                variable=missing[0],
            )
        return cls(*(values[name] or "" for name in OAUTH1_VARS))


_URLISH = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}(?:/\S*)?", re.IGNORECASE)


def comparable_text(text: str) -> str:
    """Text as X might give it back, reduced to what survives: no URLs (t.co), no entities, one space."""
    text = unicodedata.normalize("NFC", html.unescape(text))
    return " ".join(_URLISH.sub(" ", text).split())


@dataclass(frozen=True)
class _Me:
    id: str
    username: str
    name: str | None


class XPublisher:
    """One X account we post to; implements `syndicate.platforms.base.Publisher`.

    `fetch_image(url) -> bytes` supplies image bytes (default: `media.fetch_image` with
    the settings' timeout, refusing every non-public address). An image that cannot be
    fetched or fitted under 5 MB is dropped, never the post (`media.prepare_image`);
    the receipt names it.
    """

    name = "x"
    MAX_CHARACTERS = MAX_CHARACTERS

    def __init__(
        self,
        settings: XSettings,
        credentials: XCredentials,
        *,
        clock: Callable[[], float] = time.time,
        fetch_image: Callable[[str], bytes] | None = None,
        find_depth: int = FIND_DEPTH,
    ) -> None:
        if credentials.user_auth:
            missing = [
                name
                for name, value in zip(
                    OAUTH1_VARS,
                    (credentials.consumer_key, credentials.consumer_secret,
                     credentials.access_token, credentials.access_token_secret),
                    strict=True,
                )
                if not value
            ]
            if missing:
                raise AuthError("x", f"missing credentials: set {', '.join(missing)}", variable=missing[0])
        import requests_oauthlib  # lazy: see module docstring
        import tweepy

        from syndicate.platforms.x import client

        self.settings = settings
        self._clock = clock
        self._find_depth = max(5, min(100, find_depth))
        self._user_auth = credentials.user_auth
        self._me: _Me | None = None
        self.rates: dict[str, RateInfo] = {}  # "POST /2/tweets" → the last rate headers seen
        self._last_write = f"POST {TWEETS}"  # the endpoint whose quota paces the next write (post or delete)
        self._api_base = settings.api_base.rstrip("/")
        client.redact_logs(credentials.secrets())
        self._session = client.XSession(
            self._api_base,
            timeout=settings.timeout,
            bearer_token=credentials.bearer_user_token,
            on_response=self._record_rate,
        )
        if self._user_auth:
            self._client = tweepy.Client(
                consumer_key=credentials.consumer_key,
                consumer_secret=credentials.consumer_secret,
                access_token=credentials.access_token,
                access_token_secret=credentials.access_token_secret,
                wait_on_rate_limit=False,  # delivery/engine.py decides about waiting, within its budget
            )
            self._auth: Any = requests_oauthlib.OAuth1(
                credentials.consumer_key,
                client_secret=credentials.consumer_secret,
                resource_owner_key=credentials.access_token,
                resource_owner_secret=credentials.access_token_secret,
            )
        else:
            # The real token stays in XSession; tweepy only ever sees (and logs) the placeholder.
            self._client = tweepy.Client(bearer_token=client.BEARER_PLACEHOLDER, wait_on_rate_limit=False)
            self._auth = client.BearerAuth(credentials.bearer_user_token or "")
        self._client.session.close()  # tweepy's own session is never used
        self._client.session = self._session
        self._fetch_image = fetch_image or self._default_fetch()

    def __repr__(self) -> str:
        return f"XPublisher(api_base={self._api_base!r}, handle={self.settings.handle!r})"

    # -- Publisher ------------------------------------------------------------

    def publish(self, post: Post, *, identity: PartIdentity, reply_to: ReplyTo | None = None) -> Receipt:
        self._last_write = f"POST {TWEETS}"
        media_ids, dropped = self._upload_images(post)
        kwargs: dict[str, Any] = {"text": post.text, "user_auth": self._user_auth}
        if reply_to is not None:
            kwargs["in_reply_to_tweet_id"] = reply_to.parent.id
        if media_ids:
            kwargs["media_ids"] = media_ids
        # A Duplicate (403 "duplicate content") propagates as is: the engine looks the post up, once.
        with self._translate(f"post part {identity.part} of {identity.dispatch_id}"):
            response = self._client.create_tweet(**kwargs)
        data = response.data if isinstance(response.data, dict) else {}
        tweet_id = str(data.get("id") or "")
        if not tweet_id.isdigit():
            # The post may exist: like a timeout, find() must settle it before any resend.
            raise Transient("x", "post: X answered 2xx without data.id; it may have landed, check with find()")
        log.debug("x: posted %s (part %s of %s)", tweet_id, identity.part, identity.dispatch_id)
        return replace(self._receipt(tweet_id), dropped=dropped)

    def find(self, post: Post, *, identity: PartIdentity, reply_to: ReplyTo | None = None) -> Receipt | None:
        """Look through the account's latest posts for this text under this parent.

        X rewrites links to t.co and HTML-escapes `&<>`, so texts are compared
        with URLs removed and whitespace collapsed. RateLimited and AuthError
        propagate (wait / fix credentials); any other failure is `Unknown`.
        """
        want = comparable_text(post.text)
        parent = reply_to.parent.id if reply_to is not None else None
        try:
            with self._translate("find"):
                me = self._whoami()
                response = self._client.get_users_tweets(
                    me.id,
                    max_results=self._find_depth,
                    tweet_fields=["referenced_tweets", "created_at"],
                    user_auth=self._user_auth,
                )
        except (RateLimited, AuthError):
            raise
        except PlatformError as exc:
            raise Unknown("x", f"find: cannot tell whether the post landed ({exc.reason})", status=exc.status) from exc
        for tweet in response.data or []:
            replied_to = [str(r.id) for r in (tweet.referenced_tweets or []) if r.type == "replied_to"]
            same_parent = replied_to == [parent] if parent is not None else not replied_to
            if same_parent and comparable_text(tweet.text) == want:
                return self._receipt(str(tweet.id))
        return None

    def delete(self, target: Receipt) -> None:
        """`DELETE /2/tweets/:id` (billed like a post: budget.X_PRICE_DELETE). X answers
        `{"data": {"deleted": true}}`; for a post that is gone the fake answers 404 (X's answer
        there is not documented), taken as done. `deleted: false` is Transient: the engine looks
        the post up (`exists`) before it sends the delete again."""
        import tweepy

        self._last_write = f"DELETE {TWEET.replace('{id}', ':id')}"
        with self._translate(f"delete post {target.id}"):
            try:
                response = self._client.delete_tweet(target.id, user_auth=self._user_auth)
            except tweepy.NotFound:
                log.debug("x: post %s was already gone", target.id)
                return
        data = response.data if isinstance(response.data, dict) else {}
        if data.get("deleted") is not True:
            raise Transient("x", f"delete post {target.id}: X answered without deleted: true")

    def exists(self, target: Receipt) -> bool:
        """`GET /2/tweets/:id`: a post that is gone comes back as a 200 with a
        `resource-not-found` error and no data (or a 404)."""
        import tweepy

        try:
            with self._translate(f"look up post {target.id}"):
                try:
                    response = self._client.get_tweet(target.id, user_auth=self._user_auth)
                except tweepy.NotFound:
                    return False
        except (RateLimited, AuthError):
            raise
        except PlatformError as exc:
            raise Unknown("x", f"cannot tell whether post {target.id} is still there ({exc.reason})",
                          status=exc.status) from exc
        return response.data is not None

    def edit(self, target: Receipt, post: Post) -> Receipt:
        """Not done here: X edits need a Premium account and a short window; a correction is a
        reply instead (intake never writes an edit row for X)."""
        raise Permanent("x", "X posts are not edited: corrections are replies (edits need Premium and a short window)")

    def source_text(self, target: Receipt) -> str | None:
        raise Permanent("x", "X posts are not edited: nothing to read back")

    def check(self) -> AccountInfo:
        """Every read `run` relies on, with these credentials: who we are (`GET /2/users/me`)
        and our latest posts (`GET /2/users/:id/tweets`, what `find` reads before a resend)."""
        with self._translate("check: reading the account"):
            me = self._whoami(refresh=True)
        with self._translate("check: reading the account's latest posts"):
            self._client.get_users_tweets(me.id, max_results=5, user_auth=self._user_auth)
        notes = ["OAuth 1.0a user context" if self._user_auth else "OAuth 2.0 user token (expires after 2 h)"]
        configured = (self.settings.handle or "").lstrip("@")
        if configured and configured.lower() != me.username.lower():
            notes.append(f"config says @{configured}, but the credentials are @{me.username}")
        return AccountInfo("x", f"@{me.username}", me.name, limits=self.limits(), notes=tuple(notes))

    def limits(self) -> Limits:
        return Limits(
            max_characters=self.MAX_CHARACTERS,
            characters_reserved_per_url=23,
            max_media_attachments=MAX_IMAGES,
            description_limit=1000,
            image_size_limit=5 * 1024 * 1024,
        )

    @property
    def last_rate(self) -> RateInfo | None:
        """Rate-limit headers of the last write's endpoint (`POST /2/tweets`, or `DELETE /2/tweets/:id`), for pacing."""
        return self.rates.get(self._last_write)

    # -- internals ------------------------------------------------------------

    def _translate(self, action: str) -> AbstractContextManager[None]:
        from syndicate.platforms.x.errors import translate

        if self._user_auth:
            variable = ENV_ACCESS_TOKEN
            hint = (
                f"Check {ENV_ACCESS_TOKEN} and {ENV_ACCESS_TOKEN_SECRET} (regenerated tokens replace old ones), "
                f"and the app's {ENV_CONSUMER_KEY} and {ENV_CONSUMER_SECRET}."
            )
        else:
            variable = ENV_OAUTH2_TOKEN
            hint = (f"Check {ENV_OAUTH2_TOKEN}: OAuth 2 user tokens expire after 2 hours, "
                    f"and need the scopes {OAUTH2_SCOPES}.")
        return translate(action, auth_variable=variable, auth_hint=hint, clock=self._clock,
                         oauth2_scopes=None if self._user_auth else OAUTH2_SCOPES)

    def _record_rate(self, method: str, response: Any) -> None:
        from urllib.parse import urlsplit

        from syndicate.platforms.x.client import template_path
        from syndicate.platforms.x.errors import parse_rate

        info = parse_rate(response.headers)
        if info is not None:
            self.rates[f"{method} {template_path(urlsplit(response.url).path)}"] = info

    def _whoami(self, *, refresh: bool = False) -> _Me:
        if self._me is None or refresh:
            response = self._client.get_me(user_auth=self._user_auth)
            user = response.data
            if user is None:
                raise Unknown("x", f"GET {USERS_ME} answered without data")
            self._me = _Me(str(user.id), str(user.username), getattr(user, "name", None))
        return self._me

    def _handle(self) -> str:
        configured = (self.settings.handle or "").lstrip("@")
        if configured:
            return configured
        try:
            with self._translate("look up the account's handle"):
                return self._whoami().username
        except PlatformError:
            return "i"  # x.com/i/status/<id> resolves for any account; the post already exists

    def _receipt(self, tweet_id: str) -> Receipt:
        return Receipt(platform="x", id=tweet_id, url=f"https://x.com/{self._handle()}/status/{tweet_id}")

    def _default_fetch(self) -> Callable[[str], bytes]:
        from syndicate.platforms.media import fetch_image

        return partial(fetch_image, platform="x", timeout=self.settings.timeout)

    def _upload_images(self, post: Post) -> tuple[list[str], tuple[str, ...]]:
        """Media ids of the post's images, and a line for each image dropped (the post goes anyway)."""
        from syndicate.platforms.media import usable_images
        from syndicate.platforms.x import client

        media_ids: list[str] = []
        dropped: list[str] = []
        for image, data, mime in usable_images(post.images[:MAX_IMAGES], self._fetch_image,
                                               max_bytes=MAX_IMAGE_BYTES, platform="x", dropped=dropped):
            with self._translate(f"upload image {image.url}"):
                media_id = client.upload_image(self._session, self._url(MEDIA_UPLOAD), self._auth, data, mime)
                if image.alt.strip():
                    client.set_alt_text(self._session, self._url(MEDIA_METADATA), self._auth, media_id, image.alt)
            media_ids.append(media_id)
        return media_ids, tuple(dropped)

    def _url(self, path: str) -> str:
        return self._api_base + path


def open_publisher(account: Account, environ: Mapping[str, str], store: Store, policy: FetchPolicy) -> XPublisher:
    """The `Opener` (platforms/base.py): X keeps nothing between runs, so `store` is unused."""
    from syndicate.platforms.media import fetch_image

    settings = account.settings
    assert isinstance(settings, XSettings)
    return XPublisher(settings, XCredentials.from_env(environ, account.name),
                      fetch_image=partial(fetch_image, platform="x", timeout=settings.timeout, policy=policy))
