"""X failures become the shared error vocabulary, with the server's own reasons and reset times."""

from __future__ import annotations

import socket

import pytest
from fakes.x_api import DUPLICATE_DETAIL, REPLY_REFUSED_DETAIL, TOO_LONG_DETAIL, XApiFake
from x_support import CANARY, NOW, MakePublisher, ident, post

from syndicate.errors import (
    AuthError,
    Duplicate,
    Permanent,
    PlatformError,
    RateLimited,
    ReplyRefused,
    Transient,
    Unknown,
)
from syndicate.model import ReplyTo
from syndicate.platforms.x import ENV_ACCESS_TOKEN, ENV_ACCESS_TOKEN_SECRET, XCredentials, XPublisher

TWEETS = r"/2/tweets"


def test_429_is_rate_limited_until_the_reset_header(fake: XApiFake, publisher: XPublisher) -> None:
    reset = int(NOW) + 437
    fake.faults.next(
        status=429,
        body={"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429},
        headers={"x-rate-limit-limit": "100", "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)},
        path=TWEETS,
    )
    with pytest.raises(RateLimited) as info:
        publisher.publish(post("hello"), identity=ident())
    assert info.value.until == reset
    assert info.value.status == 429
    assert fake.tweets == []


def test_window_exhausted_by_the_fakes_own_limiter(fake: XApiFake, publisher: XPublisher) -> None:
    fake.set_limit("POST /2/tweets", 2)
    publisher.publish(post("one"), identity=ident(1))
    publisher.publish(post("two"), identity=ident(2))
    with pytest.raises(RateLimited) as info:
        publisher.publish(post("three"), identity=ident(3))
    assert info.value.until == NOW + 900
    assert [t.text for t in fake.tweets] == ["one", "two"]


def test_spent_24_hour_cap_wins_over_the_15_minute_reset(fake: XApiFake, publisher: XPublisher) -> None:
    fake.set_daily_limit("POST /2/tweets", 17, remaining=0)
    with pytest.raises(RateLimited) as info:
        publisher.publish(post("over the daily cap"), identity=ident())
    assert info.value.until == NOW + 86400  # not NOW + 900: the window has room, the day does not
    assert fake.tweets == []


def test_legacy_code_88_body_is_understood(fake: XApiFake, publisher: XPublisher) -> None:
    fake.faults.next(
        status=429,
        body={"errors": [{"code": 88, "message": "Rate limit exceeded"}]},
        headers={"x-rate-limit-reset": str(int(NOW) + 60), "x-rate-limit-remaining": "0"},
    )
    with pytest.raises(RateLimited, match="Rate limit exceeded") as info:
        publisher.publish(post("hello"), identity=ident())
    assert info.value.until == NOW + 60


def test_429_without_headers_backs_off_a_minute(fake: XApiFake, publisher: XPublisher) -> None:
    fake.faults.next(status=429, body={"title": "Too Many Requests", "status": 429})
    with pytest.raises(RateLimited) as info:
        publisher.publish(post("hello"), identity=ident())
    assert info.value.until == NOW + 60


def test_usage_cap_says_so(fake: XApiFake, publisher: XPublisher) -> None:
    fake.faults.next(status=429, body={
        "title": "UsageCapExceeded", "detail": "Usage cap exceeded: Monthly product cap",
        "type": "https://api.twitter.com/2/problems/usage-capped", "status": 429,
    })
    with pytest.raises(RateLimited, match="usage cap"):
        publisher.publish(post("hello"), identity=ident())


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_transient(fake: XApiFake, publisher: XPublisher, status: int) -> None:
    fake.faults.next(status=status, body="<html>upstream trouble</html>", path=TWEETS)
    with pytest.raises(Transient) as info:
        publisher.publish(post("hello"), identity=ident())
    assert info.value.status == status
    assert fake.tweets == []


def test_connection_refused_is_transient(make_publisher: MakePublisher) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # Nothing listens on `port` now.
    publisher = make_publisher(api_base=f"http://127.0.0.1:{port}")
    with pytest.raises(Transient, match="could not reach X"):
        publisher.publish(post("hello"), identity=ident())


def test_malformed_json_is_transient_and_the_post_may_exist(fake: XApiFake, publisher: XPublisher) -> None:
    fake.faults.malformed_json(path=TWEETS)
    with pytest.raises(Transient, match="malformed JSON"):
        publisher.publish(post("hello"), identity=ident())
    assert [t.text for t in fake.tweets] == ["hello"]
    assert publisher.find(post("hello"), identity=ident()) is not None


def test_bad_token_is_auth_error_naming_the_variable(fake: XApiFake, make_publisher: MakePublisher) -> None:
    wrong = XCredentials(CANARY.consumer_key, CANARY.consumer_secret, CANARY.access_token, "revoked-secret")
    with pytest.raises(AuthError) as info:
        make_publisher(wrong).publish(post("hello"), identity=ident())
    assert info.value.variable == ENV_ACCESS_TOKEN
    assert ENV_ACCESS_TOKEN in str(info.value) and ENV_ACCESS_TOKEN_SECRET in str(info.value)
    assert info.value.status == 401
    assert fake.tweets == []


def test_expired_oauth2_token_names_its_variable(fake: XApiFake, make_publisher: MakePublisher) -> None:
    with pytest.raises(AuthError) as info:
        make_publisher(XCredentials(bearer_user_token="expired")).check()
    assert info.value.variable == "SYNDICATE_X_OAUTH2_TOKEN"
    assert "2 hours" in str(info.value)


def test_missing_oauth1_values_are_named_before_any_request(fake: XApiFake, make_publisher: MakePublisher) -> None:
    with pytest.raises(AuthError) as info:
        make_publisher(XCredentials(CANARY.consumer_key, "", CANARY.access_token, ""))
    assert info.value.variable == "SYNDICATE_X_CONSUMER_SECRET"
    assert "SYNDICATE_X_ACCESS_TOKEN_SECRET" in str(info.value)
    assert fake.requests == []


@pytest.mark.parametrize("status", [403, 400])
def test_too_long_is_permanent_with_the_servers_reason(fake: XApiFake, publisher: XPublisher, status: int) -> None:
    fake.too_long_status = status  # reports disagree on X's status for this; both must end the same way
    text = "\u6f22" * 141  # CJK weighs 2: 282 > 280
    with pytest.raises(Permanent) as info:
        publisher.publish(post(text), identity=ident())
    assert type(info.value) is Permanent
    assert TOO_LONG_DETAIL in str(info.value)
    assert info.value.status == status
    assert fake.tweets == []


def test_at_the_weighted_limit_is_accepted(fake: XApiFake, publisher: XPublisher) -> None:
    publisher.publish(post("\u6f22" * 140), identity=ident())
    assert len(fake.tweets) == 1


def test_duplicate_content_is_duplicate_and_find_names_the_existing_post(fake: XApiFake,
                                                                         publisher: XPublisher) -> None:
    # The adapter no longer looks the original up itself (issue 10): the engine calls find(), once.
    first = publisher.publish(post("same words"), identity=ident())
    lookups = len(fake.calls("GET", r"/2/users/\d+/tweets"))
    with pytest.raises(Duplicate) as info:
        publisher.publish(post("same words"), identity=ident())
    assert DUPLICATE_DETAIL in str(info.value)
    assert len(fake.calls("GET", r"/2/users/\d+/tweets")) == lookups
    assert publisher.find(post("same words"), identity=ident()) == first
    assert len(fake.tweets) == 1


def test_duplicate_whose_original_is_out_of_sight_is_not_found(fake: XApiFake, make_publisher: MakePublisher) -> None:
    fake.seed("an old post")
    for i in range(6):
        fake.seed(f"newer post {i}")
    publisher = make_publisher(find_depth=5)
    with pytest.raises(Duplicate):
        publisher.publish(post("an old post"), identity=ident())
    assert publisher.find(post("an old post"), identity=ident()) is None


def test_reply_refused_is_reply_refused(fake: XApiFake, publisher: XPublisher) -> None:
    # A tier that refuses even self-threads (X's docs leave them unstated), in the Feb 2026 wording.
    root = publisher.publish(post("1/2 root"), identity=ident(1))
    fake.self_replies_allowed = False
    fake.reply_refusal = "feb2026"
    with pytest.raises(ReplyRefused) as info:
        publisher.publish(post("2/2 reply"), identity=ident(2), reply_to=ReplyTo(root=root, parent=root))
    assert isinstance(info.value, Permanent)
    assert REPLY_REFUSED_DETAIL in str(info.value)
    assert len(fake.tweets) == 1


def test_reply_to_a_deleted_post_is_permanent(fake: XApiFake, publisher: XPublisher) -> None:
    ghost = publisher._receipt("1234567890123456789")
    with pytest.raises(Permanent, match="deleted or not visible") as info:
        publisher.publish(post("reply"), identity=ident(2), reply_to=ReplyTo(root=ghost, parent=ghost))
    assert not isinstance(info.value, ReplyRefused)


def test_read_only_app_is_auth_error_about_permissions(fake: XApiFake, publisher: XPublisher) -> None:
    fake.read_only = True
    with pytest.raises(AuthError) as info:
        publisher.publish(post("hello"), identity=ident())
    message = str(info.value)
    assert "Read and write" in message and "regenerate" in message
    assert info.value.status == 403


def test_timeout_after_store_then_retry_with_find_leaves_one_post(
    fake: XApiFake, make_publisher: MakePublisher
) -> None:
    publisher = make_publisher(timeout=0.3)
    fake.faults.store_then_stall(30.0, path=TWEETS)  # stored, then no answer; released at teardown
    timeouts: list[Transient] = []

    def deliver(part: int, reply_to: ReplyTo | None = None) -> str:
        """What the delivery engine does: after an unclear failure, find before resending."""
        text = f"{part}/2 the dispatch"
        for _ in range(3):
            try:
                return publisher.publish(post(text), identity=ident(part), reply_to=reply_to).id
            except Transient as exc:
                timeouts.append(exc)
                found = publisher.find(post(text), identity=ident(part), reply_to=reply_to)
                if found is not None:
                    return found.id
        raise AssertionError("not delivered")

    first = deliver(1)
    root = publisher._receipt(first)
    second = deliver(2, ReplyTo(root=root, parent=root))

    assert [t.text for t in fake.tweets] == ["1/2 the dispatch", "2/2 the dispatch"]
    assert [t.id for t in fake.tweets] == [first, second]
    assert fake.tweets[1].reply_to == first
    assert len(fake.calls("POST", TWEETS)) == 2  # the timed-out post was never sent again
    assert len(timeouts) == 1 and "did not answer in time" in str(timeouts[0])


def test_find_failure_is_unknown_but_rate_limit_passes_through(fake: XApiFake, publisher: XPublisher) -> None:
    fake.faults.next(status=503, body="busy", path=r"/2/users/me")
    with pytest.raises(Unknown):
        publisher.find(post("x"), identity=ident())
    fake.faults.next(status=429, headers={"x-rate-limit-reset": str(int(NOW) + 5)}, path=r"/2/users/\d+/tweets")
    with pytest.raises(RateLimited) as info:
        publisher.find(post("x"), identity=ident())
    assert info.value.until == NOW + 5


def test_every_error_is_a_platform_error_for_x(fake: XApiFake, publisher: XPublisher) -> None:
    fake.faults.next(status=418, body={"title": "I'm a teapot", "detail": "short and stout", "status": 418})
    with pytest.raises(PlatformError) as info:
        publisher.publish(post("hello"), identity=ident())
    assert type(info.value) is Permanent and info.value.platform == "x"
    assert "short and stout" in str(info.value)
    assert isinstance(info.value.__cause__, Exception)  # chained to tweepy's exception


def test_post_stored_after_the_client_gave_up_is_caught_by_duplicate_check(
    fake: XApiFake, make_publisher: MakePublisher
) -> None:
    # The slow request is handled only after our timeout: find() sees nothing, we resend,
    # and when the slow one lands X refuses it as a duplicate. Still one post.
    publisher = make_publisher(timeout=0.3)
    fake.faults.delay(1.0, path=TWEETS)
    with pytest.raises(Transient, match="did not answer in time"):
        publisher.publish(post("late"), identity=ident())
    assert publisher.find(post("late"), identity=ident()) is None
    receipt = publisher.publish(post("late"), identity=ident())
    assert fake.wait_idle(timeout=10)
    assert [t.id for t in fake.tweets] == [receipt.id]
    assert len(fake.calls("POST", TWEETS)) == 2
