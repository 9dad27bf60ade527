"""Fetching URLs a feed controls without reaching our own network (server-side request forgery).

Configured feed URLs are trusted; every other URL we fetch comes from content
(article pages for link cards, images, redirects): a feed author, or anyone who
can put a link in a feed, chooses it. Such a URL must not reach loopback,
private, link-local (169.254.169.254: cloud metadata), multicast, reserved or
unspecified addresses, IPv4 and IPv6 alike (an IPv4-mapped IPv6 address is
judged as the IPv4 address it carries), unless the host is a configured feed's
own host or the address is inside `[fetch] allow_private`.

Checking the *name* is not enough: a name can resolve to a public address when
checked and to 127.0.0.1 when connected (DNS rebinding). So the check lives in
the connection itself: `GuardedBackend` is an httpcore network backend that
resolves the host once, judges every address, and connects to that very
address. httpx above it still sends the right Host header and TLS SNI (both
come from the URL, not from the socket). Redirects are followed by `follow`,
hop by hop (at most MAX_REDIRECTS), and every hop connects through the same
guard.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpcore
import httpx

if TYPE_CHECKING:
    from syndicate.model import DispatchPlan

__all__ = [
    "MAX_REDIRECTS",
    "AddressRefused",
    "FetchPolicy",
    "GuardedBackend",
    "classify",
    "follow",
    "guarded_client",
    "parse_networks",
    "refusal",
    "resolve",
    "with_fetch_notes",
]

MAX_REDIRECTS = 5

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _system_resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))  # unique, in the resolver's order


#: Name → addresses. The seam for tests: map `intranet.test` to 127.0.0.9 without touching DNS.
resolve: Callable[[str, int], list[str]] = _system_resolve


@dataclass(frozen=True)
class FetchPolicy:
    """Where content-chosen URLs may go.

    `trusted_hosts`: configured feeds' own hosts (lower-case, no brackets), reachable
    whatever they resolve to. `allow_private`: networks let through although not public.
    `resolver`: overrides the module's `resolve` (None: use it).
    """

    trusted_hosts: frozenset[str] = frozenset()
    allow_private: tuple[IPNetwork, ...] = ()
    resolver: Callable[[str, int], list[str]] | None = field(default=None, compare=False)

    @classmethod
    def for_feeds(cls, feed_urls: Iterable[str], allow_private: Iterable[str] = ()) -> FetchPolicy:
        """The policy for content of these feeds: their http(s) hosts trusted, `allow_private` CIDRs let through."""
        hosts = frozenset(h for h in (_host_of(u) for u in feed_urls) if h)
        return cls(trusted_hosts=hosts, allow_private=parse_networks(allow_private))

    def judge(self, address: str) -> str | None:
        """Why `address` may not be connected to (e.g. "loopback"), or None when it may."""
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id (fe80::1%eth0)
        problem = classify(ip)
        if problem is None:
            return None
        plain = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped else ip
        if any(plain in net for net in self.allow_private):
            return None
        return problem


DENY_ALL_PRIVATE = FetchPolicy()


def parse_networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """CIDRs ("10.0.0.0/8", "fd00::/8", or one address) → networks; ValueError names the bad one."""
    out: list[IPNetwork] = []
    for value in values:
        try:
            out.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{value!r} is not an IP network like \"10.0.0.0/8\" or \"fd00::/8\"") from None
    return tuple(out)


def classify(ip: IPAddress) -> str | None:
    """What kind of non-public address `ip` is ("loopback", "private", …), or None when it is public."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 connects to 127.0.0.1
    # Order matters only for the word shown: the most specific first.
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_reserved:  # before is_private, which also covers 240.0.0.0/4
        return "reserved"
    if ip.is_private:
        return "private"
    if not ip.is_global:  # shared address space (100.64/10), NAT64 and the like
        return "not public"
    return None


class AddressRefused(httpx.ConnectError):
    """A content-chosen URL resolved to an address it may not reach. Nothing was connected."""

    def __init__(self, host: str, address: str, kind: str) -> None:
        self.host, self.address, self.kind = host, address, kind
        where = host if host == address else f"{host} ({address})"
        super().__init__(f"{where} is a {kind} address: not fetched for feed content (see [fetch] allow_private)")


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's own sync backend, connecting only to addresses the policy allows."""

    def __init__(self, policy: FetchPolicy, inner: httpcore.NetworkBackend | None = None) -> None:
        self.policy = policy
        self.inner = inner or httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        lookup = self.policy.resolver or resolve
        name = host.strip("[]").lower()
        try:
            addresses = lookup(name, port)
        except OSError as exc:  # httpx words this as "could not resolve host"
            raise httpcore.ConnectError(f"[Errno -2] Name or service not known ({exc})") from exc
        if not addresses:
            raise httpcore.ConnectError("[Errno -2] Name or service not known")
        if name not in self.policy.trusted_hosts:
            # Every address must pass, not just the first: a name answering with a public and a
            # private address is exactly what a rebinding attack looks like.
            for address in addresses:
                kind = self.policy.judge(address)
                if kind is not None:
                    raise AddressRefused(name, address, kind)
        last: Exception | None = None
        for address in addresses:  # connect to what was judged, never to the name again
            try:
                return self.inner.connect_tcp(address, port, timeout=timeout, local_address=local_address,
                                              socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are never reached from content")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


class DeferredTrustContext(ssl.SSLContext):
    """httpx's own TLS context (`httpx.create_ssl_context()`: certifi, or SSL_CERT_FILE / SSL_CERT_DIR),
    built at the first TLS handshake instead of when the client is made.

    Loading the CA bundle costs ~25 ms, a tenth of an idle cron run, and a run whose feeds are all
    http:// (and answer 304) never shakes hands. Every handshake goes through the real context, so
    what is verified, and how, is exactly what httpx would do; this placeholder itself never
    wraps a socket.
    """

    _real: ssl.SSLContext | None
    _alpn: list[str] | None
    _lock: threading.Lock

    def __new__(cls) -> DeferredTrustContext:
        self = super().__new__(cls, ssl.PROTOCOL_TLS_CLIENT)
        self._real, self._alpn = None, None
        self._lock = threading.Lock()
        return self

    def __init__(self) -> None:  # ssl.SSLContext.__init__ takes the protocol, already given to __new__
        pass

    def real(self) -> ssl.SSLContext:
        with self._lock:  # feeds are fetched from a thread pool: build it once
            if self._real is None:
                self._real = httpx.create_ssl_context()
                if self._alpn is not None:
                    self._real.set_alpn_protocols(self._alpn)
            return self._real

    def set_alpn_protocols(self, alpn_protocols: Iterable[str]) -> None:  # httpcore sets it before each handshake
        with self._lock:
            self._alpn = list(alpn_protocols)
            if self._real is not None:
                self._real.set_alpn_protocols(self._alpn)

    def wrap_socket(self, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        return self.real().wrap_socket(*args, **kwargs)

    def wrap_bio(self, *args: Any, **kwargs: Any) -> ssl.SSLObject:
        return self.real().wrap_bio(*args, **kwargs)


def guarded_transport(policy: FetchPolicy, *, backend: httpcore.NetworkBackend | None = None,
                      **kwargs: Any) -> httpx.HTTPTransport:
    """httpx's own transport (its TLS, pooling and error mapping) on a `GuardedBackend`."""
    kwargs.setdefault("verify", DeferredTrustContext())
    transport = httpx.HTTPTransport(**kwargs)
    # httpx has no public parameter for httpcore's network backend; its pool reads this
    # attribute each time it opens a connection, so setting it before any request is enough.
    transport._pool._network_backend = GuardedBackend(policy, backend)  # noqa: SLF001
    return transport


def guarded_client(policy: FetchPolicy | None = None, *, backend: httpcore.NetworkBackend | None = None,
                   headers: Mapping[str, str] | None = None, timeout: httpx.Timeout | float = 10.0,
                   max_connections: int = 16) -> httpx.Client:
    """A client whose every connection goes through the guard (no env proxies: they would bypass it)."""
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
    return httpx.Client(
        transport=guarded_transport(policy or DENY_ALL_PRIVATE, backend=backend, limits=limits),
        headers=dict(headers or {}), timeout=timeout, follow_redirects=False, trust_env=False,
    )


def follow(client: httpx.Client, request: httpx.Request, *, max_redirects: int = MAX_REDIRECTS) -> httpx.Response:
    """Send `request` (streamed) and follow its redirects ourselves, at most `max_redirects` hops.

    Each hop opens its connection through the client's transport, so a guarded client judges
    every hop's address. The caller closes the returned response.
    """
    response = client.send(request, stream=True, follow_redirects=False)
    hops = 0
    while response.next_request is not None:
        next_request = response.next_request
        response.close()
        hops += 1
        if hops > max_redirects:
            raise httpx.TooManyRedirects(f"more than {max_redirects} redirects", request=next_request)
        if next_request.url.scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"redirect to a {next_request.url.scheme!r} URL",
                                            request=next_request)
        response = client.send(next_request, stream=True, follow_redirects=False)
    return response


def refusal(url: str, policy: FetchPolicy | None = None) -> str | None:
    """Why fetching `url` would be refused ("x.test (10.0.0.5) is a private address: …"), or None.

    Resolves the name but connects nowhere: for dry-run notes. A name that does not resolve
    is no refusal (the fetch will say what it says).
    """
    policy = policy or DENY_ALL_PRIVATE
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    if not host or host in policy.trusted_hosts:
        return None
    try:
        addresses = (policy.resolver or resolve)(host, port)
    except OSError:
        return None
    for address in addresses:
        kind = policy.judge(address)
        if kind is not None:
            return str(AddressRefused(host, address, kind))
    return None


def _host_of(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    return (parts.hostname or "").lower() or None


def with_fetch_notes(plan: DispatchPlan, card_notes: Iterable[str], policy: FetchPolicy | None) -> DispatchPlan:
    """`plan` with a warning for each content fetch the rules refuse, so dry-run says why.

    `card_notes` come from `fetch_card`. With a `policy`, every image the posts name (and a
    card's thumbnail) is judged too, by resolving its host now: delivery would refuse it the
    same way and post without it. None: images are not looked at (no network, e.g. --no-cards).
    """
    from syndicate.model import Lint

    warnings = [Lint("card-refused", note) for note in card_notes]
    if policy is not None:
        urls: dict[str, str] = {}
        for pp in plan.platforms:
            for post in pp.posts:
                for image in post.images:
                    urls.setdefault(image.url, "image")
                if post.card is not None and post.card.image_url:
                    urls.setdefault(post.card.image_url, "card thumbnail")
        for url, what in urls.items():
            why = refusal(url, policy)
            if why:
                warnings.append(Lint("image-refused", f"The {what} {url} will not be fetched: {why}. "
                                                      "The post goes out without it."))
    if not warnings:
        return plan
    return replace(plan, warnings=(*plan.warnings, *warnings))
