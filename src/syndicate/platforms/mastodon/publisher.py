"""Publish to Mastodon: one `Post` becomes one status, through Mastodon.py (halcy/Mastodon.py 2.3).

API docs: https://docs.joinmastodon.org/methods/statuses/#create,
https://docs.joinmastodon.org/methods/media/, https://docs.joinmastodon.org/methods/instance/,
https://docs.joinmastodon.org/api/rate-limits/.

Choices, and why:

* The client is built with `ratelimit_method="throw"`: the library never
  sleeps; a 429 becomes `RateLimited(until)` and the delivery engine decides
  whether to wait or defer. `last_rate` exposes the last headers seen for pacing.
* Every status carries `Idempotency-Key: identity.key`. Mastodon keeps keys for
  one hour and answers a repeat with the status it already made, so resending
  after a timeout is safe within that hour; the engine's `find()` before a resend
  covers the rest.
* Images go through `POST /api/v2/media`, then our own bounded wait on
  `GET /api/v1/media/:id` (Mastodon.py's `synchronous=True` waits forever).
* Limits come from the instance (`/api/v2/instance`, falling back to v1), read
  once and kept in a `LimitsCache` the caller can persist (`mastodon/limits.py`).
* Every Mastodon.py error is translated in one place (`mastodon/errors.py`); a 403
  "outside the authorized scopes" names the scope the call needed.
* The token needs four scopes (`SCOPES`): `write:statuses` and `write:media` to
  post, `read:accounts` to learn our account id, `read:statuses` to read our own
  statuses before a resend (the server checks it whenever a token is sent).
  `check` exercises each read. docs/platforms.md §3 (in this repository).

Mastodon.py is imported lazily (on the first network call), so importing this
module, or building a publisher that never posts, stays cheap.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from syndicate import __version__
from syndicate.errors import AuthError, ConfigError, PlatformError, Transient
from syndicate.model import Image, Limits, Post, Receipt, ReplyTo
from syndicate.platforms.base import AccountInfo, PartIdentity, RateInfo
from syndicate.platforms.mastodon.errors import (
    PLATFORM,
    SCOPE_ACCOUNT,
    SCOPE_MEDIA,
    SCOPE_POST,
    SCOPE_READ_STATUSES,
    TOKEN_VARIABLE,
    rate_info,
    translate,
)
from syndicate.platforms.mastodon.limits import LimitsCache, MemoryLimitsCache, StoreLimits, limits_from_instance
from syndicate.platforms.secrets import read_secret
from syndicate.settings import MastodonSettings, secret_variable
from syndicate.watch.htmltext import html_to_text

if TYPE_CHECKING:
    from mastodon import Mastodon

    from syndicate.netguard import FetchPolicy
    from syndicate.settings import Account
    from syndicate.store import Store

__all__ = ["MastodonPublisher", "access_token_from_env", "iso639_1", "open_publisher"]

MEDIA_WAIT_SECONDS = 30.0  # our own deadline for media processing; then Transient, retried next time
MEDIA_POLL_SECONDS = 1.0
MAX_IMAGE_BYTES = 16 * 1024 * 1024  # fetch cap; the instance's image_size_limit is checked after
VISIBILITIES = ("public", "unlisted", "private", "direct")
FIND_PAGE_SIZE = 40  # the API's maximum page: enough for any recent attempt of a cron run

log = logging.getLogger(__name__)


def access_token_from_env(environ: Mapping[str, str], account: str | None = None) -> str:
    """The access token from SYNDICATE_MASTODON_ACCESS_TOKEN, or the file SYNDICATE_MASTODON_ACCESS_TOKEN_FILE names
    (another account than [mastodon]: `<VAR>__<ACCOUNT>`, see settings.secret_variable)."""
    variable = secret_variable(TOKEN_VARIABLE, account)
    token = read_secret(environ, variable, platform=PLATFORM)
    if token is None:
        raise AuthError(PLATFORM, f"no access token: set {variable} "
                                  f"(or {variable}_FILE to a file holding it)", variable=variable)
    return token


class MastodonPublisher:
    """One Mastodon account we post to (implements `syndicate.platforms.base.Publisher`)."""

    name = PLATFORM

    def __init__(
        self,
        settings: MastodonSettings,
        access_token: str,
        *,
        fetch_image: Callable[[str], bytes] | None = None,
        limits_cache: LimitsCache | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        media_wait: float = MEDIA_WAIT_SECONDS,
        media_poll: float = MEDIA_POLL_SECONDS,
    ) -> None:
        if not settings.instance:
            raise ConfigError('no instance URL (e.g. "https://mastodon.social")', key="mastodon.instance")
        if settings.visibility not in VISIBILITIES:  # Mastodon.py would raise a bare ValueError mid-publish
            raise ConfigError(f"visibility {settings.visibility!r} is not one of {', '.join(VISIBILITIES)}",
                              key="mastodon.visibility")
        if not access_token:
            raise AuthError(PLATFORM, f"the access token is empty; set {TOKEN_VARIABLE}", variable=TOKEN_VARIABLE)
        self.settings = settings
        self.instance: str = settings.instance.rstrip("/")
        self._token = access_token
        timeout = settings.timeout
        self._fetch_image = fetch_image or _default_fetch(timeout)
        self._limits_cache: LimitsCache = limits_cache or MemoryLimitsCache()
        self._clock = clock
        self._sleep = sleep
        self._media_wait = media_wait
        self._media_poll = media_poll
        self._api: Mastodon | None = None
        self._limits: Limits | None = None
        self._account_id: str | None = None
        self.last_rate: RateInfo | None = None

    def __repr__(self) -> str:  # never the token
        return f"MastodonPublisher(instance={self.instance!r})"

    # ---- the Publisher protocol --------------------------------------------------------

    def publish(self, post: Post, *, identity: PartIdentity, reply_to: ReplyTo | None = None) -> Receipt:
        media_ids, dropped = self._upload_images(post.images) if post.images else (None, ())
        spoiler = post.spoiler_text if post.spoiler_text is not None else self.settings.spoiler_text
        with self._calls(f"posting part {identity.part} of {identity.dispatch_id}", SCOPE_POST) as api:
            status = api.status_post(
                post.text,
                in_reply_to_id=reply_to.parent.id if reply_to else None,
                media_ids=media_ids,
                visibility=self.settings.visibility,
                language=iso639_1(post.language),
                spoiler_text=spoiler or None,
                idempotency_key=identity.key,
            )
        receipt = replace(_receipt(status), dropped=dropped)
        log.debug("mastodon: part %d of %s is status %s", identity.part, identity.dispatch_id, receipt.id)
        return receipt

    def find(self, post: Post, *, identity: PartIdentity, reply_to: ReplyTo | None = None) -> Receipt | None:
        """Our most recent statuses, searched for this text replying to this parent."""
        want_text = _comparable(post.text)
        want_parent = reply_to.parent.id if reply_to else None
        me = self._me()
        with self._calls(f"looking for part {identity.part} of {identity.dispatch_id}", SCOPE_READ_STATUSES) as api:
            statuses = api.account_statuses(me, limit=FIND_PAGE_SIZE, exclude_reblogs=True)
        for status in statuses:
            parent = status.get("in_reply_to_id")
            if (str(parent) if parent is not None else None) != want_parent:
                continue
            if _comparable(html_to_text(status.get("content") or "")) == want_text:
                return _receipt(status)
        return None

    def delete(self, target: Receipt) -> None:
        """`DELETE /api/v1/statuses/:id`. Mastodon answers 404 for a status that is gone (or not
        ours, which a stored receipt never is): already deleted, so done."""
        from mastodon.errors import MastodonNotFoundError

        with self._calls(f"deleting status {target.id}", SCOPE_POST) as api:
            try:
                api.status_delete(target.id)
            except MastodonNotFoundError:
                log.debug("mastodon: status %s was already gone", target.id)

    def exists(self, target: Receipt) -> bool:
        """`GET /api/v1/statuses/:id`: 404 once the status is deleted."""
        from mastodon.errors import MastodonNotFoundError

        with self._calls(f"looking up status {target.id}", SCOPE_READ_STATUSES) as api:
            try:
                api.status(target.id)
            except MastodonNotFoundError:
                return False
        return True

    def edit(self, target: Receipt, post: Post) -> Receipt:
        """`PUT /api/v1/statuses/:id`. An edit replaces the whole status, and Mastodon.py leaves out
        a parameter given as None, which the server takes as "none": so the status's media ids,
        content warning and sensitive flag are read first and sent again, or the edit drops them.
        `language` is kept by the server (Mastodon.py has no argument for it)."""
        with self._calls(f"reading status {target.id} to edit it", SCOPE_READ_STATUSES) as api:
            current = api.status(target.id)
        spoiler = post.spoiler_text if post.spoiler_text is not None else current.get("spoiler_text") or ""
        media_ids = [str(m["id"]) for m in current.get("media_attachments") or []]
        with self._calls(f"editing status {target.id}", SCOPE_POST) as api:
            status = api.status_update(target.id, post.text, spoiler_text=spoiler,
                                       sensitive=bool(current.get("sensitive")), media_ids=media_ids)
        return _receipt(status)

    def source_text(self, target: Receipt) -> str | None:
        """`GET /api/v1/statuses/:id/source`: the text as written (the status's `content` is HTML)."""
        from mastodon.errors import MastodonNotFoundError

        with self._calls(f"reading the source of status {target.id}", SCOPE_READ_STATUSES) as api:
            try:
                return str(api.status_source(target.id)["text"])
            except MastodonNotFoundError:
                return None

    def check(self) -> AccountInfo:
        """Every read `run` relies on, with this token: who we are, and our own latest statuses."""
        with self._calls("verifying the access token", SCOPE_ACCOUNT) as api:
            account = api.account_verify_credentials()
        self._account_id = str(account["id"])
        with self._calls("reading the account's statuses", SCOPE_READ_STATUSES) as api:
            api.account_statuses(self._account_id, limit=1)
        notes = () if account.get("bot") else (
            "the account is not marked as a bot (Preferences → Profile); many instances ask automated accounts to be",)
        return AccountInfo(
            platform=PLATFORM, handle=f"@{account['acct']}@{urlsplit(self.instance).hostname}",
            display_name=account.get("display_name") or None, limits=self.limits(), notes=notes,
        )

    def limits(self) -> Limits:
        if self._limits is None:
            cached = self._limits_cache.get(self.instance)
            if cached is None:
                cached = self._read_limits()
                self._limits_cache.put(self.instance, cached)
            self._limits = cached
        return self._limits

    # ---- media -------------------------------------------------------------------------

    def _upload_images(self, images: tuple[Image, ...]) -> tuple[list[str] | None, tuple[str, ...]]:
        """Media ids of the images (None: none left), and a line for each one dropped (the post goes anyway)."""
        from syndicate.platforms.media import usable_images  # lazy: Pillow loads only for images

        limits = self.limits()
        if len(images) > limits.max_media_attachments:
            log.warning("mastodon: %s allows %d images per post; posting the first %d of %d",
                        self.instance, limits.max_media_attachments, limits.max_media_attachments, len(images))
        media_ids: list[str] = []
        dropped: list[str] = []
        for image, data, mime in usable_images(images[: limits.max_media_attachments], self._fetch_image,
                                               max_bytes=limits.image_size_limit or MAX_IMAGE_BYTES,
                                               platform="mastodon", dropped=dropped):
            media_ids.append(self._upload(image, data, mime, limits))
        return media_ids or None, tuple(dropped)

    def _upload(self, image: Image, data: bytes, mime_type: str, limits: Limits) -> str:
        from syndicate.platforms.media import trim_alt_text

        description = trim_alt_text(image.alt, limits.description_limit) or None
        with self._calls(f"uploading image {image.url}", SCOPE_MEDIA) as api:
            media = api.media_post(data, mime_type=mime_type, description=description)
        media_id = str(media["id"])
        if media.get("url") is None:  # 202: still processing
            self._wait_processed(media_id, image.url)
        return media_id

    def _wait_processed(self, media_id: str, url: str) -> None:
        """Poll GET /api/v1/media/:id (206 → 200) until processed, within our own deadline."""
        deadline = self._clock() + self._media_wait
        while self._clock() < deadline:
            self._sleep(min(self._media_poll, max(deadline - self._clock(), 0.0)))
            with self._calls(f"waiting for image {url} to be processed", SCOPE_MEDIA) as api:
                if api.media(media_id).get("url") is not None:
                    return
        raise Transient(PLATFORM, f"image {url} (media {media_id}) still processing after "
                                  f"{self._media_wait:g} s; will retry")

    # ---- plumbing ------------------------------------------------------------------------

    def _client(self) -> Mastodon:
        if self._api is None:
            from mastodon import (
                Mastodon,  # lazy: runs with nothing to post never pay for the import
            )

            self._api = Mastodon(
                api_base_url=self.instance, access_token=self._token, ratelimit_method="throw",
                request_timeout=self.settings.timeout, version_check_mode="none",
                user_agent=f"syndicate/{__version__}",
            )
        return self._api

    def _me(self) -> str:
        if self._account_id is None:
            with self._calls("reading the account id", SCOPE_ACCOUNT) as api:
                self._account_id = str(api.account_verify_credentials()["id"])
        return self._account_id

    def _read_limits(self) -> Limits:
        from mastodon.errors import MastodonNotFoundError

        with self._calls(f"reading the limits of {self.instance}") as api:
            try:
                info: Mapping[str, Any] = api.instance_v2()
            except MastodonNotFoundError:  # Mastodon < 4.0: v1 has the same `configuration` since 3.4.2
                log.debug("mastodon: %s has no /api/v2/instance; reading /api/v1/instance", self.instance)
                info = api.instance_v1()
        return limits_from_instance(info)

    @contextmanager
    def _calls(self, what: str, scope: str | None = None) -> Iterator[Mastodon]:
        """Run Mastodon.py calls; translate whatever they raise; remember the rate-limit headers."""
        api = self._client()
        before = api.ratelimit_lastcall
        try:
            yield api
        except Exception as exc:
            from mastodon.errors import MastodonError

            if not isinstance(exc, MastodonError):
                raise
            raise self._translate(exc, what, scope) from exc
        finally:
            if api.ratelimit_lastcall != before:
                self.last_rate = rate_info(api)

    def _translate(self, exc: Exception, what: str, scope: str | None = None) -> PlatformError:
        reset = self._api.ratelimit_reset if self._api is not None else None
        return translate(exc, what, scope, instance=self.instance, token=self._token, reset=reset, clock=self._clock)


def _receipt(status: Mapping[str, Any]) -> Receipt:
    return Receipt(platform=PLATFORM, id=str(status["id"]), url=status.get("url") or status.get("uri") or "")


def iso639_1(language: str | None) -> str | None:
    """"pt-BR" → "pt": Mastodon wants an ISO 639-1 code; anything else is left to the server."""
    primary = (language or "").replace("_", "-").split("-")[0].lower()
    return primary if len(primary) == 2 and primary.isascii() and primary.isalpha() else None


_REMOTE_MENTION = re.compile(r"(?<![\w/])@(\w+)@[\w.-]*\w")


def _comparable(text: str) -> str:
    # Mastodon shows @user@domain as @user, and may re-space lines: compare what survives.
    return " ".join(_REMOTE_MENTION.sub(r"@\1", text).split())


def _default_fetch(timeout: float, policy: FetchPolicy | None = None) -> Callable[[str], bytes]:
    from syndicate.platforms.media import fetch_image

    return partial(fetch_image, platform=PLATFORM, timeout=timeout, max_bytes=MAX_IMAGE_BYTES, policy=policy)


def open_publisher(account: Account, environ: Mapping[str, str], store: Store,
                   policy: FetchPolicy) -> MastodonPublisher:
    """The `Opener` (platforms/base.py): the instance's limits live in the state store between runs."""
    settings = account.settings
    assert isinstance(settings, MastodonSettings)
    return MastodonPublisher(settings, access_token_from_env(environ, account.name), limits_cache=StoreLimits(store),
                             fetch_image=_default_fetch(settings.timeout, policy))
