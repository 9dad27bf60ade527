"""Every way a Mastodon call fails, translated into syndicate's error vocabulary."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from datetime import datetime

import pytest
from fakes.mastodon_api import API_STATUSES, NOT_FINISHED, FakeMastodon, LoggedRequest
from mastodon_support import MakePublisher, identity, post

from syndicate.errors import AuthError, Permanent, RateLimited, Transient
from syndicate.platforms.mastodon import TOKEN_VARIABLE, MastodonPublisher


def _expected_until(logged: LoggedRequest, local_before: float, local_after: float) -> tuple[float, float]:
    """The reset header, moved onto our clock by the server's Date header, as Mastodon.py does."""
    reset = datetime.fromisoformat(logged.response_headers["X-RateLimit-Reset"].replace("Z", "+00:00")).timestamp()
    server_now = email.utils.parsedate_to_datetime(logged.response_headers["Date"]).timestamp()
    return reset + (local_before - server_now), reset + (local_after - server_now)


def _publish_expecting_rate_limit(pub: MastodonPublisher, fake: FakeMastodon, part: int = 1) -> RateLimited:
    before = time.time()
    with pytest.raises(RateLimited) as info:
        pub.publish(post("hello"), identity=identity(part))
    after = time.time()
    low, high = _expected_until(fake.requests[-1], before, after)
    assert low <= info.value.until <= high
    return info.value


@pytest.mark.parametrize("skew", [0.0, 5000.0, -5000.0])
def test_injected_429_is_rate_limited_until_the_reset(make_publisher: MakePublisher, skew: float) -> None:
    # The server's clock may be off ours; `until` must be on our clock.
    with FakeMastodon(token="tok-rate-limit", rate_period=3600.0, clock=lambda: time.time() + skew) as fake:
        fake.fail_next(status=429, method="POST", path=API_STATUSES)
        error = _publish_expecting_rate_limit(make_publisher(fake, "tok-rate-limit"), fake)
        assert error.status == 429
        assert time.time() < error.until <= time.time() + 3600
        assert fake.statuses == []


def test_exhausted_request_limit_is_rate_limited(make_publisher: MakePublisher) -> None:
    with FakeMastodon(token="tok-rate-limit", rate_limit=2, rate_period=3600.0) as fake:
        pub = make_publisher(fake, "tok-rate-limit")
        pub.publish(post("one"), identity=identity(1))
        pub.publish(post("two"), identity=identity(2))
        _publish_expecting_rate_limit(pub, fake, part=3)
        assert fake.requests[-1].response_headers["X-RateLimit-Remaining"] == "0"
        assert len(fake.statuses) == 2


def test_status_family_limit_is_rate_limited(make_publisher: MakePublisher) -> None:
    with FakeMastodon(token="tok-rate-limit", statuses_limit=1) as fake:
        pub = make_publisher(fake, "tok-rate-limit")
        pub.publish(post("one"), identity=identity(1))
        assert pub.last_rate is not None and (pub.last_rate.limit, pub.last_rate.remaining) == (1, 0)
        _publish_expecting_rate_limit(pub, fake, part=2)
        assert fake.requests[-1].response_headers["X-RateLimit-Limit"] == "1"


def test_rate_limit_never_sleeps(fake: FakeMastodon, make_publisher: MakePublisher,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)  # Mastodon.py's "wait"/"pace" modes would call this
    fake.fail_next(status=429, method="POST", path=API_STATUSES)
    pub = make_publisher(fake, sleep=slept.append)
    with pytest.raises(RateLimited):
        pub.publish(post("hello"), identity=identity())
    assert slept == []
    assert len(fake.requests_to("POST", API_STATUSES)) == 1  # no retry inside the library either


def test_last_rate_follows_the_headers(fake: FakeMastodon, publisher: MastodonPublisher) -> None:
    assert publisher.last_rate is None
    publisher.publish(post("hello"), identity=identity())
    assert publisher.last_rate is not None
    assert (publisher.last_rate.limit, publisher.last_rate.remaining) == (300, 299)  # statuses: 300 per 3 h
    assert publisher.last_rate.reset is not None and publisher.last_rate.reset > time.time()


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_transient(fake: FakeMastodon, publisher: MastodonPublisher, status: int) -> None:
    fake.fail_next(status=status)
    with pytest.raises(Transient) as info:
        publisher.publish(post("hello"), identity=identity())
    assert info.value.status == status
    publisher.publish(post("hello"), identity=identity())  # and the retry goes through
    assert len(fake.statuses) == 1


def test_malformed_json_is_transient(fake: FakeMastodon, publisher: MastodonPublisher) -> None:
    fake.malformed_next()
    with pytest.raises(Transient, match="not JSON"):
        publisher.publish(post("hello"), identity=identity())


def test_connection_refused_is_transient(make_publisher: MakePublisher) -> None:
    with FakeMastodon() as fake:
        pub = make_publisher(fake)
    with pytest.raises(Transient, match="Could not complete request"):
        pub.publish(post("hello"), identity=identity())


def test_slow_server_times_out_as_transient(fake: FakeMastodon, make_publisher: MakePublisher) -> None:
    fake.delay_next(5.0, method="POST", path=API_STATUSES)
    with pytest.raises(Transient, match="timed out"):
        make_publisher(fake, timeout=0.3).publish(post("hello"), identity=identity())


def test_bad_token_is_auth_error_naming_the_variable(fake: FakeMastodon, make_publisher: MakePublisher) -> None:
    with pytest.raises(AuthError) as info:
        make_publisher(fake, "not-the-right-token").publish(post("hello"), identity=identity())
    assert info.value.variable == TOKEN_VARIABLE == "SYNDICATE_MASTODON_ACCESS_TOKEN"
    assert info.value.status == 401
    assert TOKEN_VARIABLE in str(info.value)
    assert "The access token is invalid" in str(info.value)


def test_forbidden_scope_is_auth_error(fake: FakeMastodon, publisher: MastodonPublisher) -> None:
    fake.fail_next(status=403, error="This action is outside the authorized scopes")
    with pytest.raises(AuthError, match="outside the authorized scopes"):
        publisher.publish(post("hello"), identity=identity())


def test_too_long_is_permanent_with_the_server_text(fake: FakeMastodon, publisher: MastodonPublisher) -> None:
    with pytest.raises(Permanent) as info:
        publisher.publish(post("x" * 501), identity=identity())
    assert info.value.status == 422
    assert "Validation failed: Text character limit of 500 exceeded" in str(info.value)


def test_media_not_processed_422_is_transient(fake: FakeMastodon, publisher: MastodonPublisher) -> None:
    fake.fail_next(status=422, error=NOT_FINISHED, method="POST", path=API_STATUSES)
    with pytest.raises(Transient, match="not finished processing"):
        publisher.publish(post("hello"), identity=identity())


@pytest.mark.parametrize(
    ("call", "expected"),
    [(lambda p: p.check(), AuthError), (lambda p: p.limits(), Transient)],
)
def test_other_calls_translate_too(fake: FakeMastodon, make_publisher: MakePublisher,
                                   call: Callable[[MastodonPublisher], object], expected: type[Exception]) -> None:
    fake.fail_next(status=401 if expected is AuthError else 503, error="nope" if expected is AuthError else None)
    with pytest.raises(expected):
        call(make_publisher(fake))
