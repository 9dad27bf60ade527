"""Publish to Bluesky (any atproto PDS) with the official Python SDK, `atproto`.

API: https://docs.bsky.app/docs/advanced-guides/posts (records, facets, embeds,
replies), https://docs.bsky.app/docs/advanced-guides/rate-limits. What we rely on
is summed up in docs/platforms.md §6 and docs/bluesky-pds.md.

* **Log in once.** The session string (access + refresh JWT) is kept in a
  `SessionStore` (the state store, via `StoreSessions`) and reused; the SDK
  refreshes it and tells us (`on_session_change`), and we save it again.
  `createSession` (password login: 30 per 5 min, 300 a day) runs only when no
  stored session exists or it can no longer be refreshed.
* **Exactly once.** Each part's record key (a TID) is chosen before the first
  attempt and stored in the outbox; the record is written with
  `com.atproto.repo.createRecord` at that key. A second write at the same key is
  refused with a 500, so after a 5xx or a timeout the delivery engine looks the key
  up (`find`: `getRecord`) before any resend, instead of guessing.
* **Nothing is done for us.** Facets come from the composer (UTF-8 byte
  ranges); mentions are resolved to DIDs here; the link card's thumbnail is
  fetched, re-encoded under 1 MB and uploaded here. A post carries one embed:
  its images when it has any, else its link card.

Errors are translated in one place (`bluesky/errors.py`, `translate`); the record is
built in `bluesky/records.py`. The app password
is only ever sent in `createSession`'s body; it is never logged or put in an
error message.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Protocol, TypeVar

from syndicate.errors import (
    AuthError,
    ConfigError,
    Permanent,
    PlatformError,
    Transient,
)
from syndicate.model import Card, Limits, Post, Receipt, ReplyTo
from syndicate.platforms.base import AccountInfo, PartIdentity, RateInfo
from syndicate.platforms.bluesky.errors import (
    APP_PASSWORD_VAR,
    error_of,
    is_session_problem,
    parse_rate,
    translate,
)
from syndicate.platforms.bluesky.records import (
    COLLECTION,
    MAX_IMAGES,
    ImageBlob,
    build_record,
    post_url,
)
from syndicate.platforms.secrets import read_secret
from syndicate.platforms.tid import TID_PATTERN, new_tid
from syndicate.settings import BlueskySettings, secret_variable

if TYPE_CHECKING:
    import httpx
    from atproto import Client, Session, SessionEvent
    from atproto_client.models.blob_ref import BlobRef

    from syndicate.netguard import FetchPolicy
    from syndicate.settings import Account
    from syndicate.store import Store

__all__ = [
    "APP_PASSWORD_VAR",
    "BlueskyPublisher",
    "MemorySessions",
    "SessionStore",
    "StoreSessions",
    "app_password_from_env",
    "new_tid",
    "open_publisher",
]

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_CHARACTERS = 300  # graphemes; and 3000 UTF-8 bytes
MAX_BYTES = 3000
# Lexicon caps (docs/platforms.md §6.10): an image in `app.bsky.embed.images` ≤ 2,000,000 bytes,
# a link card's thumb ≤ 1,000,000 bytes. Re-encoding is platforms/media.py's.
IMAGE_MAX_BYTES = 2_000_000
THUMB_MAX_BYTES = 1_000_000
NOTE_REUSED = "stored session reused"
NOTE_LOGGED_IN = "logged in (createSession)"


class SessionStore(Protocol):
    """Where the session string lives between runs (the caller persists it, e.g. in SQLite)."""

    def load(self, key: str) -> str | None: ...

    def save(self, key: str, session: str) -> None: ...


class MemorySessions:
    """A SessionStore in a dict: for tests, and for one-off runs that keep nothing."""

    def __init__(self) -> None:
        self.sessions: dict[str, str] = {}

    def load(self, key: str) -> str | None:
        return self.sessions.get(key)

    def save(self, key: str, session: str) -> None:
        self.sessions[key] = session


class StoreSessions:
    """A SessionStore on the state store, so cron runs reuse one login."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def load(self, key: str) -> str | None:
        return self.store.load_session(key)

    def save(self, key: str, session: str) -> None:
        self.store.save_session(key, session)


def app_password_from_env(environ: Mapping[str, str] | None = None, account: str | None = None) -> str:
    """The app password from SYNDICATE_BLUESKY_APP_PASSWORD, or the file SYNDICATE_BLUESKY_APP_PASSWORD_FILE names
    (another account than [bluesky]: `<VAR>__<ACCOUNT>`, see settings.secret_variable)."""
    env = os.environ if environ is None else environ
    variable = secret_variable(APP_PASSWORD_VAR, account)
    value = read_secret(env, variable, platform="bluesky")
    if value is None:
        raise AuthError(
            "bluesky",
            f"missing app password: set {variable} (or {variable}_FILE naming a file); "
            "create one at bsky.app → Settings → Privacy and security → App passwords",
            variable=variable,
        )
    return value


class BlueskyPublisher:
    """One Bluesky account we post to; implements `syndicate.platforms.base.Publisher`."""

    name = "bluesky"
    MAX_CHARACTERS = MAX_CHARACTERS

    def __init__(
        self,
        settings: BlueskySettings,
        app_password: str,
        *,
        sessions: SessionStore,
        fetch_image: Callable[[str], bytes] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not settings.handle:
            raise ConfigError("set the account's handle (e.g. handle = \"you.bsky.social\")", key="bluesky.handle")
        if not app_password:
            raise AuthError("bluesky", f"missing app password: set {APP_PASSWORD_VAR}", variable=APP_PASSWORD_VAR)
        self.settings = settings
        self._password = app_password
        self._sessions = sessions
        self._clock = clock
        self._fetch_image = fetch_image or _default_fetch(settings.timeout)
        self._service = settings.service.rstrip("/")
        #: Where the session lives in the SessionStore: one per service and account.
        self.session_key = f"{self._service} {settings.handle.lstrip('@').lower()}"
        self._client: Client | None = None
        self._did: str | None = None
        self._handle: str = settings.handle.lstrip("@")
        self._from_store = False  # the session in use came from the store (not yet proven good)
        self._relogged = False
        self._dids: dict[str, str | None] = {}  # handle → DID (None: does not resolve)
        self.login_note: str | None = None
        #: The rate-limit window of the last answer (None while the server sends no ratelimit-* headers).
        self.last_rate: RateInfo | None = None

    def __repr__(self) -> str:
        return f"BlueskyPublisher(service={self._service!r}, handle={self._handle!r})"

    # -- Publisher ------------------------------------------------------------

    def publish(self, post: Post, *, identity: PartIdentity, reply_to: ReplyTo | None = None) -> Receipt:
        from atproto_client import models

        rkey = _rkey(identity)
        mention_dids = self._resolve_mentions(post)
        dropped: list[str] = []
        images = self._upload_images(post, dropped)
        thumb = self._upload_thumb(post.card, dropped) if post.card is not None and not images else None
        record = build_record(post, now=self._clock(), reply_to=reply_to, mention_dids=mention_dids,
                              images=images, thumb=thumb)

        def create(client: Client) -> models.ComAtprotoRepoCreateRecord.Response:
            data = models.ComAtprotoRepoCreateRecord.Data(
                repo=self._did or self._handle, collection=COLLECTION, rkey=rkey, record=record)
            return client.com.atproto.repo.create_record(data)

        # A 5xx, a timeout or a dropped connection is Transient: the write may have landed (a second
        # write at our key is itself a 500). The engine looks the key up (`find`) before any resend.
        created = self._call(f"post {rkey}", create)
        return replace(self._receipt(rkey, created.uri, created.cid), dropped=tuple(dropped))

    def find(self, post: Post, *, identity: PartIdentity, reply_to: ReplyTo | None = None) -> Receipt | None:
        return self._find(_rkey(identity))

    def delete(self, target: Receipt) -> None:
        """`com.atproto.repo.deleteRecord` at the post's record key. Deleting a record that is
        not there succeeds (the lexicon: "delete a record, or ensure it doesn't exist")."""
        from atproto_client import models

        rkey = target.id or (target.uri or "").rsplit("/", 1)[-1]
        self._call(f"delete {rkey}", lambda c: c.com.atproto.repo.delete_record(models.ComAtprotoRepoDeleteRecord.Data(
            repo=self._did or self._handle, collection=COLLECTION, rkey=rkey)))

    def exists(self, target: Receipt) -> bool:
        return self._find(target.id or (target.uri or "").rsplit("/", 1)[-1]) is not None

    def edit(self, target: Receipt, post: Post) -> Receipt:
        """Not done here: Bluesky has no edit; a correction is a reply instead (intake never writes an
        edit row for Bluesky)."""
        raise Permanent("bluesky", "Bluesky posts are not edited: corrections are replies (Bluesky has no edit)")

    def source_text(self, target: Receipt) -> str | None:
        raise Permanent("bluesky", "Bluesky posts are not edited: nothing to read back")

    def check(self) -> AccountInfo:
        from atproto_client import models

        me = self._call("check the session", lambda c: c.com.atproto.server.get_session())
        display_name = None
        try:
            profile = self._call("read the profile", lambda c: c.app.bsky.actor.get_profile(
                models.AppBskyActorGetProfile.Params(actor=me.did)))
            display_name = profile.display_name
        except PlatformError as exc:  # the profile is decoration; the session is what we checked
            log.info("bluesky: no profile for %s: %s", me.handle, exc.reason)
        return AccountInfo("bluesky", me.handle, display_name, limits=self.limits(),
                           notes=(self.login_note or NOTE_REUSED,))

    def limits(self) -> Limits:
        # URLs count their full length on Bluesky (no fixed URL weight): the composer measures
        # with compose.length.bluesky_length, so characters_reserved_per_url is not used here.
        return Limits(max_characters=MAX_CHARACTERS, max_media_attachments=MAX_IMAGES,
                      image_size_limit=2_000_000, extra={"max_bytes": MAX_BYTES, "thumb_size_limit": 1_000_000})

    # -- session ----------------------------------------------------------------

    def _connect(self) -> Client:
        """The logged-in client: from the stored session when there is one, else by password."""
        if self._client is not None:
            return self._client
        from atproto import Client
        from atproto_client.request import Request

        request = Request(timeout=self.settings.timeout, event_hooks={"response": [self._on_response]})
        client = Client(base_url=self._service, request=request)
        client.on_session_change(self._on_session_change)
        stored = self._sessions.load(self.session_key)
        if stored:
            try:
                client.login(session_string=stored, fetch_bsky_profile=False)  # no network call
                self._from_store = True
                self.login_note = NOTE_REUSED
            except Exception as exc:  # noqa: BLE001 - a garbled stored string just means "log in again"
                log.info("bluesky: stored session unusable (%s); logging in", type(exc).__name__)
        if not self._from_store:
            self._password_login(client)
        self._client = client
        return client

    def _password_login(self, client: Client) -> None:
        client.update_base_url(self._service)  # createSession goes to the service, not a cached PDS URL
        with translate(f"log in as {self._handle}", timeout=self.settings.timeout, clock=self._clock):
            client.login(login=self._handle, password=self._password, fetch_bsky_profile=False)
        self._from_store = False
        self.login_note = NOTE_LOGGED_IN

    def _on_session_change(self, event: SessionEvent, session: Session) -> None:
        from atproto import SessionEvent

        self._did, self._handle = session.did, session.handle
        if event in (SessionEvent.CREATE, SessionEvent.REFRESH):
            self._sessions.save(self.session_key, session.export())

    def _on_response(self, response: httpx.Response) -> None:
        rate = parse_rate(response.headers)
        if rate is not None:
            self.last_rate = rate

    def _call(self, action: str, fn: Callable[[Client], T]) -> T:
        """Run one SDK call with errors translated; a dead stored session gets one password login."""
        with translate(action, timeout=self.settings.timeout, clock=self._clock):
            client = self._connect()
            try:
                return fn(client)
            except Exception as exc:
                if not (self._from_store and not self._relogged and is_session_problem(exc)):
                    raise
                log.info("bluesky: stored session no longer valid (%s); logging in", error_of(exc)[1] or "401")
            self._relogged = True
            self._password_login(client)
            return fn(client)

    # -- lookups and uploads ----------------------------------------------------

    def _find(self, rkey: str) -> Receipt | None:
        from atproto_client import models
        from atproto_client.exceptions import RequestErrorBase

        def get(client: Client) -> models.ComAtprotoRepoGetRecord.Response | None:
            params = models.ComAtprotoRepoGetRecord.Params(
                repo=self._did or self._handle, collection=COLLECTION, rkey=rkey)
            try:
                return client.com.atproto.repo.get_record(params)
            except RequestErrorBase as exc:
                status, error, _ = error_of(exc)
                if status in (400, 404) and error in ("RecordNotFound", "NotFound"):
                    return None
                raise

        found = self._call(f"look up {rkey}", get)
        if found is None or not found.cid:
            return None
        return self._receipt(rkey, found.uri, found.cid)

    def _receipt(self, rkey: str, uri: str, cid: str | None) -> Receipt:
        return Receipt(platform="bluesky", id=rkey, url=post_url(self._handle, rkey), uri=uri, cid=cid)

    def _resolve_mentions(self, post: Post) -> dict[str, str]:
        from atproto_client import models
        from atproto_client.exceptions import BadRequestError

        for facet in post.facets:
            handle = facet.value.lstrip("@").lower()
            if facet.kind != "mention" or handle in self._dids:
                continue

            def resolve(client: Client, handle: str = handle) -> str | None:
                try:
                    return str(client.com.atproto.identity.resolve_handle(
                        models.ComAtprotoIdentityResolveHandle.Params(handle=handle)).did)
                except BadRequestError:  # "Unable to resolve handle": the mention becomes plain text
                    return None

            self._dids[handle] = self._call(f"resolve @{handle}", resolve)
        return {h: did for h, did in self._dids.items() if did is not None}

    def _upload(self, what: str, data: bytes, mime: str) -> BlobRef:
        return self._call(f"upload {what}", lambda c: c.com.atproto.repo.upload_blob(
            data, headers={"Content-Type": mime})).blob

    def _upload_images(self, post: Post, dropped: list[str]) -> list[ImageBlob]:
        """The post's images, uploaded; each one that cannot be used adds a line to `dropped`."""
        from syndicate.platforms.media import image_size, usable_images

        out: list[ImageBlob] = []
        for image, data, mime in usable_images(post.images[:MAX_IMAGES], self._fetch_image,
                                               max_bytes=IMAGE_MAX_BYTES, platform="bluesky", dropped=dropped):
            width, height = image_size(data) or (1, 1)  # `aspectRatio` is required; 1:1 when unknown
            out.append(ImageBlob(self._upload(f"image {image.url}", data, mime), image.alt, width, height))
        return out

    def _upload_thumb(self, card: Card, dropped: list[str]) -> BlobRef | None:
        """The card's thumbnail, or None: a card without a picture beats no post."""
        from syndicate.platforms.media import Dropped, prepare_image

        if not card.image_url:
            return None
        ready = prepare_image(card.image_url, self._fetch_image, max_bytes=THUMB_MAX_BYTES,
                              what="card thumbnail")
        if isinstance(ready, Dropped):
            log.warning("bluesky: posting the card without %s", ready.line)
            dropped.append(ready.line)
            return None
        try:
            return self._upload(f"thumbnail {card.image_url}", *ready)
        except (Transient, Permanent) as exc:  # as before: the card goes without its picture
            dropped.append(Dropped(card.image_url, f"upload: {exc.reason}", "card thumbnail").line)
            log.warning("bluesky: card without thumbnail %s: %s", card.image_url, exc.reason)
            return None


def _rkey(identity: PartIdentity) -> str:
    if not identity.rkey or not TID_PATTERN.match(identity.rkey):
        raise ValueError(f"part {identity.part} of {identity.dispatch_id} has no valid Bluesky record key "
                         f"(a TID chosen before the first attempt): {identity.rkey!r}")
    return identity.rkey


def _default_fetch(timeout: float, policy: FetchPolicy | None = None) -> Callable[[str], bytes]:
    from syndicate.platforms.media import fetch_image

    return partial(fetch_image, platform="bluesky", timeout=timeout, policy=policy)


def open_publisher(account: Account, environ: Mapping[str, str], store: Store,
                   policy: FetchPolicy) -> BlueskyPublisher:
    """The `Opener` (platforms/base.py): the session lives in the state store between runs, one per
    account (keyed by service and handle)."""
    settings = account.settings
    assert isinstance(settings, BlueskySettings)
    return BlueskyPublisher(settings, app_password_from_env(environ, account.name), sessions=StoreSessions(store),
                            fetch_image=_default_fetch(settings.timeout, policy))
