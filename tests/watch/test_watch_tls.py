"""https feeds: the TLS context is built at the first handshake (netguard.DeferredTrustContext), and
it is httpx's own: an untrusted certificate is refused, a CA named by SSL_CERT_FILE is trusted."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from syndicate.errors import FeedError
from syndicate.watch.fetch import FeedRequest, fetch_feed, fetch_many

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def https_feed(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    cert, key = _self_signed(tmp_path)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(FEED)))
            self.end_headers()
            self.wfile.write(FEED)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/feed.xml", cert
    finally:
        server.shutdown()
        server.server_close()


def test_an_untrusted_certificate_is_refused(https_feed: tuple[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    url, _ = https_feed
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with pytest.raises(FeedError) as caught:
        fetch_feed(url)
    assert caught.value.reason.startswith("TLS error:") and "certificate verify failed" in caught.value.reason


def test_a_ca_named_by_ssl_cert_file_is_trusted_as_httpx_would(https_feed: tuple[str, Path],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    url, cert = https_feed
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    result = fetch_feed(url)
    assert (result.status, result.content) == (200, FEED)
    # Several feeds on one shared client: the context is built once, under a lock, for all of them.
    results = fetch_many([FeedRequest(url), FeedRequest(url + "?2"), FeedRequest(url + "?3")], concurrency=3)
    assert [r.content for r in results if not isinstance(r, FeedError)] == [FEED, FEED, FEED], results
