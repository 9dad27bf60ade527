"""Log in once: stored sessions are reused, dead ones replaced, bad passwords and login storms reported."""

from __future__ import annotations

import base64
import json
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from bsky_support import PublisherFactory, identity
from pds.harness import PdsHandle

from syndicate.errors import AuthError, RateLimited
from syndicate.model import Post
from syndicate.platforms.bluesky import APP_PASSWORD_VAR, MemorySessions

LOGIN = "com.atproto.server.createSession"
REFRESH = "com.atproto.server.refreshSession"


def test_second_publisher_with_the_same_store_makes_zero_create_session(
    pds: PdsHandle, make_publisher: PublisherFactory
) -> None:
    store = MemorySessions()
    before = pds.call_count(LOGIN)
    first = make_publisher(sessions=store)
    first.publish(Post("first run", 9, 300), identity=identity())
    assert first.check().notes == ("logged in (createSession)",)
    assert pds.call_count(LOGIN) == before + 1
    assert len(store.sessions) == 1

    second = make_publisher(sessions=store)  # the next cron run
    receipt = second.publish(Post("second run", 10, 300), identity=identity())
    info = second.check()
    assert pds.call_count(LOGIN) == before + 1  # second run: zero createSession
    assert info.notes == ("stored session reused",)
    assert info.handle == "alice.test"
    assert receipt.uri and receipt.uri.startswith(f"at://{pds.accounts['alice'].did}/")


def test_check_reports_account_and_limits(make_publisher: PublisherFactory) -> None:
    info = make_publisher().check()
    assert info.platform == "bluesky"
    assert info.handle == "alice.test"
    assert info.display_name == "Alice"  # from app.bsky.actor.getProfile (the launcher's stand-in AppView)
    assert info.limits is not None and info.limits.max_characters == 300
    assert make_publisher().limits().max_characters == 300


def test_last_rate_exposes_the_servers_window(make_publisher: PublisherFactory) -> None:
    pub = make_publisher()
    assert pub.last_rate is None  # nothing seen yet
    pub.publish(Post("paced", 5, 300), identity=identity())
    rate = pub.last_rate
    assert rate is not None and rate.limit is not None and rate.remaining is not None and rate.reset is not None
    assert 0 <= rate.remaining < rate.limit
    assert rate.reset > time.time() - 1  # an epoch, not a number of seconds


def test_a_dead_stored_session_is_replaced_by_one_login(pds: PdsHandle, make_publisher: PublisherFactory) -> None:
    store = MemorySessions()
    make_publisher(sessions=store).check()
    (key, good), = store.sessions.items()
    handle, did, access, refresh, endpoint = good.split(":::")
    # Same claims, broken signatures: the server refuses both tokens.
    tampered = ":::".join([handle, did, access[:-6] + "AAAAAA", refresh[:-6] + "AAAAAA", endpoint])
    store.save(key, tampered)

    before = pds.call_count(LOGIN)
    pub = make_publisher(sessions=store)
    receipt = pub.publish(Post("after a dead session", 20, 300), identity=identity())
    assert receipt.id
    assert pds.call_count(LOGIN) == before + 1
    assert store.load(key) not in (None, tampered)  # the new session was saved
    assert pub.check().notes == ("logged in (createSession)",)


def test_a_garbled_stored_session_just_means_logging_in(pds: PdsHandle, make_publisher: PublisherFactory) -> None:
    store = MemorySessions()
    pub = make_publisher(sessions=store)
    store.save(pub.session_key, "not a session string")
    before = pds.call_count(LOGIN)
    assert pub.check().handle == "alice.test"
    assert pds.call_count(LOGIN) == before + 1


def test_bad_password_is_an_auth_error_naming_the_variable(pds: PdsHandle, make_publisher: PublisherFactory) -> None:
    pub = make_publisher("dave", password="wrong-password-canary-4471")
    with pytest.raises(AuthError) as caught:
        pub.publish(Post("never", 5, 300), identity=identity())
    assert caught.value.variable == APP_PASSWORD_VAR
    assert caught.value.status == 401
    assert APP_PASSWORD_VAR in str(caught.value)
    assert "Invalid identifier or password" in caught.value.reason


def test_login_storm_gets_rate_limited_until_the_servers_reset(pds: PdsHandle,
                                                              make_publisher: PublisherFactory) -> None:
    """Runs that log in every time: after 30 logins in 5 minutes the next one gets a 429."""
    carol = pds.accounts["carol"]
    body = {"identifier": carol.handle, "password": carol.password}

    def login(_: int) -> int:
        return httpx.post(f"{pds.url}/xrpc/{LOGIN}", json=body, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:  # the PDS checks passwords with scrypt: overlap them
        assert sorted(set(pool.map(login, range(30)))) == [200]  # the whole 5-minute budget, used up

    before = pds.call_count(LOGIN)
    with pytest.raises(RateLimited) as caught:
        make_publisher("carol", sessions=MemorySessions()).check()
    assert pds.call_count(LOGIN) == before + 1  # one refused attempt, not a blind retry

    r = httpx.post(f"{pds.url}/xrpc/{LOGIN}", json=body, timeout=10)
    assert r.status_code == 429
    assert caught.value.until == float(r.headers["ratelimit-reset"])
    assert caught.value.until > time.time()
    assert caught.value.status == 429
    assert "RateLimitExceeded" in caught.value.reason


def _expired_access_token(did: str) -> str:
    """A JWT whose payload says it expired a minute ago: the SDK refreshes before sending it."""
    def b64(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    now = int(time.time())
    return ".".join([b64({"typ": "at+jwt", "alg": "HS256"}),
                     b64({"scope": "com.atproto.access", "sub": did, "iat": now - 7200, "exp": now - 60}),
                     "c2lnbmF0dXJl"])


def _session_with_expired_access(store: MemorySessions) -> tuple[str, str]:
    (key, good), = store.sessions.items()
    handle, did, _access, refresh, endpoint = good.split(":::")
    return key, ":::".join([handle, did, _expired_access_token(did), refresh, endpoint])


def test_an_expired_access_token_is_refreshed_not_replaced(pds: PdsHandle, make_publisher: PublisherFactory) -> None:
    store = MemorySessions()
    make_publisher(sessions=store).check()
    key, stale = _session_with_expired_access(store)
    store.save(key, stale)

    logins, refreshes = pds.call_count(LOGIN), pds.call_count(REFRESH)
    pub = make_publisher(sessions=store)
    pub.publish(Post("refreshed", 9, 300), identity=identity())
    assert pds.call_count(REFRESH) == refreshes + 1
    assert pds.call_count(LOGIN) == logins  # refreshing is not logging in
    saved = store.load(key)
    assert saved is not None and saved != stale  # the rotated tokens were saved (REFRESH event)
    assert pub.check().notes == ("stored session reused",)


def test_a_revoked_refresh_token_falls_back_to_one_login(pds: PdsHandle, make_publisher: PublisherFactory) -> None:
    store = MemorySessions()
    make_publisher(sessions=store).check()
    key, stale = _session_with_expired_access(store)
    refresh = stale.split(":::")[3]
    revoke = httpx.post(f"{pds.url}/xrpc/com.atproto.server.deleteSession",
                        headers={"Authorization": f"Bearer {refresh}"}, timeout=10)
    assert revoke.status_code == 200
    store.save(key, stale)

    logins, refreshes = pds.call_count(LOGIN), pds.call_count(REFRESH)
    pub = make_publisher(sessions=store)
    assert pub.publish(Post("logged in again", 15, 300), identity=identity()).id
    assert pds.call_count(REFRESH) == refreshes + 1  # tried, refused
    assert pds.call_count(LOGIN) == logins + 1  # then exactly one password login
    assert store.load(key) != stale
