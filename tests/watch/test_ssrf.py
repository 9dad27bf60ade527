"""Fetching what feeds point to, safely (issue 9): cards, images and redirects never reach private addresses.

Every server here is real and on loopback. "The feed's host" is 127.0.0.1; 127.0.0.2
and 127.0.0.9 play other, private hosts: a content URL must not reach them unless
`[fetch] allow_private` says so. Each check reads the servers' own request logs.
For 169.254.169.254 (nothing listens there) a recording network backend shows that
no connection was even attempted.
"""

from __future__ import annotations

import ipaddress
import textwrap
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import httpcore
import pytest

from syndicate import netguard
from syndicate.config import load_config
from syndicate.errors import ConfigError, FeedError, Permanent
from syndicate.netguard import AddressRefused, FetchPolicy, classify, parse_networks
from syndicate.platforms.media import Dropped, fetch_image, prepare_image
from syndicate.watch.fetch import fetch_feed
from syndicate.watch.og import fetch_card
from watch.feedserver import FeedServer, Reply

PAGE = b"""<html><head><title>Internal page</title><meta property="og:description" content="secret"></head></html>"""
HTML = {"Content-Type": "text/html; charset=utf-8"}
RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://example.org/</link>
<item><title>One</title><link>https://example.org/1</link><guid>1</guid></item></channel></rss>"""
LOOPBACK = ["127.0.0.0/8"]


@pytest.fixture
def other_host() -> Iterator[FeedServer]:
    """A server on 127.0.0.2: a private host that is not the feed's."""
    with FeedServer("127.0.0.2") as server:
        yield server


@pytest.fixture
def intranet() -> Iterator[FeedServer]:
    """A server on 127.0.0.9, which the resolver seam calls `intranet.test`."""
    with FeedServer("127.0.0.9") as server:
        yield server


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Our resolver seam: names in the dict resolve to its addresses, anything else fails like DNS."""
    names: dict[str, list[str]] = {}

    def resolve(host: str, port: int) -> list[str]:
        try:
            ipaddress.ip_address(host)
            return [host]
        except ValueError:
            pass
        if host not in names:
            raise OSError(f"no such name {host}")
        return names[host]

    monkeypatch.setattr(netguard, "resolve", resolve)
    return names


class RecordingBackend(httpcore.SyncBackend):
    """httpcore's own backend, noting every address it is asked to connect to."""

    def __init__(self) -> None:
        self.connects: list[tuple[str, int]] = []

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        self.connects.append((host, port))
        return super().connect_tcp(host, port, timeout, local_address, socket_options)


def _port(server: FeedServer) -> int:
    return int(server.url("/").rsplit(":", 1)[1].split("/")[0])


# -- the address classifier ---------------------------------------------------------------------------

@pytest.mark.parametrize(("address", "kind"), [
    ("127.0.0.1", "loopback"), ("127.255.0.9", "loopback"), ("::1", "loopback"),
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"), ("fd12:3456::1", "private"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
    ("0.0.0.0", "unspecified"), ("::", "unspecified"),
    ("224.0.0.1", "multicast"), ("239.255.255.250", "multicast"), ("ff02::1", "multicast"),
    ("240.0.0.1", "reserved"), ("100.64.0.1", "not public"),
    # IPv4-mapped IPv6 connects to the IPv4 address it carries
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:169.254.169.254", "link-local"), ("::ffff:10.0.0.1", "private"),
    ("::ffff:0.0.0.0", "unspecified"),
    # public
    ("93.184.216.34", None), ("8.8.8.8", None), ("2606:4700:4700::1111", None), ("::ffff:93.184.216.34", None),
])
def test_classify(address: str, kind: str | None) -> None:
    assert classify(ipaddress.ip_address(address)) == kind


def test_allow_private_lets_its_networks_through_in_both_spellings() -> None:
    policy = FetchPolicy.for_feeds([], ["10.0.0.0/8", "fd00::/8"])
    assert policy.judge("10.9.8.7") is None
    assert policy.judge("::ffff:10.9.8.7") is None  # mapped: judged as the IPv4 address
    assert policy.judge("fd00::5") is None
    assert policy.judge("192.168.0.1") == "private"
    assert policy.judge("169.254.169.254") == "link-local"


def test_parse_networks_names_the_bad_value() -> None:
    assert parse_networks(["10.0.0.0/8", "192.168.1.7"]) == (ipaddress.ip_network("10.0.0.0/8"),
                                                             ipaddress.ip_network("192.168.1.7/32"))
    with pytest.raises(ValueError, match="'10.0.0.0/33' is not an IP network"):
        parse_networks(["10.0.0.0/33"])


def test_config_validates_allow_private_and_give_up_after(tmp_path: Path) -> None:
    path = tmp_path / "syndicate.toml"

    def load(body: str) -> Any:
        path.write_text(textwrap.dedent(body), encoding="utf-8")
        return load_config(path)

    settings = load('[fetch]\nallow_private = ["10.0.0.0/8"]\n[delivery]\ngive_up_after = "90m"\n')
    assert settings.fetch.allow_private == ("10.0.0.0/8",)
    assert settings.delivery.give_up_after == 5400.0
    assert load("").delivery.give_up_after == 86400.0
    with pytest.raises(ConfigError, match=r"fetch\.allow_private: 'intranet' is not an IP network"):
        load('[fetch]\nallow_private = ["intranet"]\n')
    with pytest.raises(ConfigError, match=r"delivery\.give_up_after: expected a duration"):
        load('[delivery]\ngive_up_after = "soon"\n')
    with pytest.raises(ConfigError, match=r"fetch\.allow_privat: unknown key \(did you mean 'allow_private'\?\)"):
        load('[fetch]\nallow_privat = ["10.0.0.0/8"]\n')


# -- link cards -----------------------------------------------------------------------------------------

def test_article_redirecting_to_another_private_host_is_not_requested(
    feed_server: FeedServer, other_host: FeedServer
) -> None:
    other_host.route("/internal", Reply(200, PAGE, HTML))
    article = feed_server.route("/article", Reply(302, headers={"Location": other_host.url("/internal")}))
    feed = feed_server.url("/feed.xml")

    notes: list[str] = []
    assert fetch_card(article, policy=FetchPolicy.for_feeds([feed]), notes=notes) is None
    assert feed_server.requests_to("/article")  # the feed's own host is trusted
    assert other_host.seen == []  # the redirect target was never asked
    assert len(notes) == 1 and "127.0.0.2 is a loopback address" in notes[0] and article in notes[0]

    card = fetch_card(article, policy=FetchPolicy.for_feeds([feed], LOOPBACK))
    assert card is not None and card.title == "Internal page"
    assert len(other_host.requests_to("/internal")) == 1


def test_article_redirecting_to_the_metadata_address_never_connects(feed_server: FeedServer) -> None:
    article = feed_server.route("/article", Reply(301, headers={"Location": "http://169.254.169.254/latest/meta-data/"}))
    backend = RecordingBackend()
    policy = FetchPolicy.for_feeds([feed_server.url("/feed.xml")])
    notes: list[str] = []
    with netguard.guarded_client(policy, backend=backend) as client:
        assert fetch_card(article, client=client, notes=notes) is None
    assert backend.connects == [("127.0.0.1", _port(feed_server))]  # the article only
    assert "169.254.169.254 is a link-local address" in notes[0]


def test_a_name_resolving_to_a_private_address_is_refused_then_allowed(
    intranet: FeedServer, fake_dns: dict[str, list[str]]
) -> None:
    fake_dns["intranet.test"] = ["127.0.0.9"]
    intranet.route("/page", Reply(200, PAGE, HTML))
    url = f"http://intranet.test:{_port(intranet)}/page"

    notes: list[str] = []
    assert fetch_card(url, policy=FetchPolicy(), notes=notes) is None
    assert intranet.seen == []
    assert "intranet.test (127.0.0.9) is a loopback address" in notes[0]

    # Allowed: we connect to the address we judged (the system resolver has never heard of
    # intranet.test), and the server still sees the name in Host.
    card = fetch_card(url, policy=FetchPolicy.for_feeds([], ["127.0.0.9/32"]))
    assert card is not None and card.title == "Internal page"
    assert intranet.requests_to("/page")[0].headers["host"] == f"intranet.test:{_port(intranet)}"


def test_a_name_answering_public_and_private_addresses_is_refused(
    intranet: FeedServer, fake_dns: dict[str, list[str]]
) -> None:
    fake_dns["rebind.test"] = ["93.184.216.34", "127.0.0.9"]  # what a rebinding attack answers
    backend = RecordingBackend()
    with netguard.guarded_client(FetchPolicy(), backend=backend) as client:
        assert fetch_card(f"http://rebind.test:{_port(intranet)}/page", client=client) is None
    assert backend.connects == [] and intranet.seen == []


def test_cards_need_html_and_at_most_five_redirects(feed_server: FeedServer) -> None:
    policy = FetchPolicy.for_feeds([feed_server.url("/")])
    feed_server.route("/untyped", Reply(200, PAGE))  # no Content-Type: not read as a page
    assert fetch_card(feed_server.url("/untyped"), policy=policy) is None
    feed_server.route("/xhtml", Reply(200, PAGE, {"Content-Type": "application/xhtml+xml"}))
    assert fetch_card(feed_server.url("/xhtml"), policy=policy) is not None

    feed_server.route("/hop0", Reply(200, PAGE, HTML))
    for i in range(1, 7):
        feed_server.route(f"/hop{i}", Reply(302, headers={"Location": f"/hop{i - 1}"}))
    assert fetch_card(feed_server.url("/hop5"), policy=policy) is not None  # five redirects
    assert fetch_card(feed_server.url("/hop6"), policy=policy) is None  # six
    assert feed_server.requests_to("/hop0") and len(feed_server.requests_to("/hop6")) == 1
    assert len(feed_server.requests_to("/hop0")) == 1  # the sixth hop was never followed


# -- images ---------------------------------------------------------------------------------------------

def test_an_image_on_another_private_host_is_dropped_unrequested(feed_server: FeedServer, other_host: FeedServer) -> None:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buf, "PNG")
    url = other_host.route("/photo.png", Reply(200, buf.getvalue(), {"Content-Type": "image/png"}))
    policy = FetchPolicy.for_feeds([feed_server.url("/feed.xml")])

    with pytest.raises(Permanent, match="127.0.0.2 is a loopback address"):
        fetch_image(url, platform="x", policy=policy)
    dropped = prepare_image(url, lambda u: fetch_image(u, platform="x", policy=policy), max_bytes=5_000_000)
    assert isinstance(dropped, Dropped) and dropped.url == url and "loopback" in dropped.cause
    assert other_host.seen == []

    allowed = FetchPolicy.for_feeds([feed_server.url("/feed.xml")], LOOPBACK)
    ready = prepare_image(url, lambda u: fetch_image(u, platform="x", policy=allowed), max_bytes=5_000_000)
    assert ready == (buf.getvalue(), "image/png")
    assert len(other_host.requests_to("/photo.png")) == 1


def test_image_redirect_is_judged_at_every_hop(feed_server: FeedServer) -> None:
    url = feed_server.route("/img", Reply(302, headers={"Location": "http://169.254.169.254/img.png"}))
    backend_policy = FetchPolicy.for_feeds([feed_server.url("/")])
    with pytest.raises(Permanent, match="169.254.169.254 is a link-local address"):
        fetch_image(url, platform="mastodon", policy=backend_policy)
    assert len(feed_server.requests_to("/img")) == 1


# -- feeds ----------------------------------------------------------------------------------------------

def test_a_feed_redirecting_to_another_private_host_is_refused(feed_server: FeedServer, other_host: FeedServer) -> None:
    other_host.route("/feed.xml", Reply(200, RSS, {"Content-Type": "application/rss+xml"}))
    url = feed_server.route("/feed.xml", Reply(301, headers={"Location": other_host.url("/feed.xml")}))
    with pytest.raises(FeedError) as err:
        fetch_feed(url)
    assert err.value.reason.startswith("redirect refused: 127.0.0.2 is a loopback address")
    assert other_host.seen == []

    result = fetch_feed(url, allow_private=["127.0.0.2/32"])
    assert result.content == RSS and result.final_url == other_host.url("/feed.xml")


def test_the_configured_feed_host_is_trusted_whatever_it_resolves_to(
    intranet: FeedServer, fake_dns: dict[str, list[str]]
) -> None:
    fake_dns["feeds.intranet.test"] = ["127.0.0.9"]
    intranet.route("/feed.xml", Reply(200, RSS, {"Content-Type": "application/rss+xml"}))
    assert fetch_feed(f"http://feeds.intranet.test:{_port(intranet)}/feed.xml").content == RSS


def test_refusal_error_is_an_httpx_connect_error_with_the_request() -> None:
    import httpx

    with netguard.guarded_client() as client, pytest.raises(AddressRefused) as err:
        client.get("http://127.0.0.1:9/")
    assert isinstance(err.value, httpx.ConnectError) and str(err.value.request.url) == "http://127.0.0.1:9/"


def test_a_run_lets_a_feed_redirect_through_to_an_allowed_private_host(
    tmp_path: Path, feed_server: FeedServer, other_host: FeedServer
) -> None:
    """`[fetch] allow_private` reaches the feed fetch of a whole pass, not only cards and images."""
    from syndicate.delivery.intake import prepare
    from syndicate.store import Store

    other_host.route("/feed.xml", Reply(200, RSS, {"Content-Type": "application/rss+xml"}))
    url = feed_server.route("/feed.xml", Reply(301, headers={"Location": other_host.url("/feed.xml")}))
    config = tmp_path / "syndicate.toml"
    config.write_text(textwrap.dedent(f"""
        [state]
        path = "state.db"
        [fetch]
        allow_private = ["127.0.0.2/32"]
        [[feeds]]
        url = "{url}"
        [mastodon]
        enabled = true
        instance = "http://127.0.0.1:9"
    """))
    store = Store.open(tmp_path / "state.db")
    try:
        prepared = prepare(load_config(config), store, fetch_cards=False)
    finally:
        store.close()
    assert prepared.errors == []
    assert [p.dispatch.title for p in prepared.accepted] == ["One"]
    assert len(other_host.requests_to("/feed.xml")) == 1
