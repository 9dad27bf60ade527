"""What the Mastodon adapter sends is what Mastodon documents, with the scopes it needs.

The fake enforces OAuth scopes per endpoint (fakes._mastodon_spec, from the
docs and the server's controllers) and records parameters the docs do not list
(the real server drops them silently). The conformance test runs every request
the adapter made through the spec on its own.
"""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from delivery.delivery_support import (
    MASTODON_CANARY,
    Setup,
    VirtualClock,
    cli_env,
    entries,
    make_mastodon_fake,
    parts,
    run_inproc,
    set_env,
    write_feed,
)
from fakes import _mastodon_spec, mastodon_api
from fakes.mastodon_api import API_STATUSES, INSUFFICIENT_SCOPE, FakeMastodon
from mastodon_support import TOKEN, FakeClock, MakePublisher, identity, png_bytes, post
from PIL import Image as PILImage

from syndicate.cli import cli
from syndicate.errors import AuthError
from syndicate.model import Image, ReplyTo
from syndicate.platforms.mastodon import SCOPES

WITHOUT_READ_STATUSES = "write:statuses write:media read:accounts"  # what the README used to ask for


def jpeg_bytes() -> bytes:
    buf = io.BytesIO()
    PILImage.new("RGB", (4, 4), (10, 20, 30)).save(buf, format="JPEG")
    return buf.getvalue()


def test_every_request_the_adapter_makes_conforms_to_the_docs(make_publisher: MakePublisher) -> None:
    clock = FakeClock()
    with FakeMastodon(token=TOKEN, media_processing_polls=1, clock=clock) as fake:
        publisher = make_publisher(fake, clock=clock, sleep=clock.sleep, spoiler_text="flood")
        publisher.check()
        root = publisher.publish(post("1/2 the river rose", language="en"), identity=identity(1))
        publisher.publish(post("2/2 with a photo", images=(Image("https://img.test/a.png", "A street"),)),
                          identity=identity(2), reply_to=ReplyTo(root=root, parent=root))
        assert publisher.find(post("1/2 the river rose"), identity=identity(1)) is not None

        seen = set()
        for request in fake.requests:
            ep = _mastodon_spec.endpoint(request.method, request.path)
            assert ep is not None, f"{request.method} {request.path} is not documented here"
            seen.add(ep.name)
            files = dict.fromkeys(request.files)
            assert _mastodon_spec.violations(request.method, request.path, request.params, files) == []
            assert request.status < 400, (request.method, request.path, request.status)
        assert fake.unpermitted == []
    assert seen >= {"create status", "upload media", "get media", "verify credentials", "account statuses",
                    "instance (v2)"}


def test_an_unknown_field_is_dropped_as_the_server_does_and_recorded(fake: FakeMastodon) -> None:
    answer = httpx.post(f"{fake.base_url}{API_STATUSES}", headers={"Authorization": f"Bearer {TOKEN}"},
                        data={"status": "hello", "media_type": "image/png"}, timeout=5)
    assert answer.status_code == 200  # Rails' strong parameters ignore it: no error to expect from Mastodon
    assert fake.unpermitted == [("POST", API_STATUSES, "media_type")]
    assert _mastodon_spec.violations("POST", API_STATUSES, fake.requests[-1].params) == [
        "create status: unknown parameter 'media_type'"]
    assert mastodon_api.UNPERMITTED == [("POST", API_STATUSES, "media_type")]
    mastodon_api.UNPERMITTED.clear()  # sent on purpose here


def test_a_call_outside_the_tokens_scopes_gets_the_servers_403() -> None:
    with FakeMastodon(token=TOKEN, scopes="write:statuses") as fake:
        me = httpx.get(f"{fake.base_url}/api/v1/accounts/verify_credentials",
                       headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
        assert (me.status_code, me.json()) == (403, {"error": INSUFFICIENT_SCOPE})
        mine = httpx.get(f"{fake.base_url}/api/v1/accounts/{fake.account_id}/statuses",
                         headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
        assert (mine.status_code, mine.json()) == (403, {"error": INSUFFICIENT_SCOPE})
        anonymous = httpx.get(f"{fake.base_url}/api/v1/accounts/{fake.account_id}/statuses", timeout=5)
        assert anonymous.status_code == 200  # public data; the scope is checked only when a token is sent
    with FakeMastodon(token=TOKEN, scopes="read write") as broad:  # `read`/`write` cover every sub-scope
        assert httpx.get(f"{broad.base_url}/api/v1/accounts/verify_credentials",
                         headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5).status_code == 200


def test_check_and_find_name_the_missing_read_statuses_scope(make_publisher: MakePublisher) -> None:
    with FakeMastodon(token=TOKEN, scopes=WITHOUT_READ_STATUSES) as fake:
        publisher = make_publisher(fake)
        with pytest.raises(AuthError) as checked:
            publisher.check()
        assert "lacks the read:statuses scope" in checked.value.reason
        assert SCOPES in checked.value.reason
        with pytest.raises(AuthError) as looked:
            publisher.find(post("anything"), identity=identity())
        assert "read:statuses" in looked.value.reason


def _check_config(tmp_path: Path, instance: str) -> Path:
    path = tmp_path / "syndicate.toml"
    path.write_text(f'[state]\npath = "state.db"\n[[feeds]]\nurl = "feed.xml"\n'
                    f'[mastodon]\nenabled = true\ninstance = "{instance}"\n')
    return path


@pytest.mark.parametrize("scopes, ok", [(WITHOUT_READ_STATUSES, False), (SCOPES, True)])
def test_syndicate_check_fails_naming_read_statuses_when_the_token_lacks_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scopes: str, ok: bool
) -> None:
    monkeypatch.setenv("SYNDICATE_MASTODON_ACCESS_TOKEN", MASTODON_CANARY)
    with make_mastodon_fake(scopes=scopes) as fake:
        result = CliRunner().invoke(cli, ["check", "--config", str(_check_config(tmp_path, fake.base_url))])
    assert (result.exit_code == 0) is ok, result.output
    if ok:
        assert "Mastodon: ok, posting as @" in result.output
    else:
        assert "read:statuses" in result.output and "SYNDICATE_MASTODON_ACCESS_TOKEN" in result.output
    assert MASTODON_CANARY not in result.output


@pytest.mark.parametrize("scopes, completes", [(WITHOUT_READ_STATUSES, False), (SCOPES, True)])
def test_a_post_stored_before_the_answer_was_lost_is_settled_only_with_read_statuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scopes: str, completes: bool
) -> None:
    """The post lands, the client gives up (as a kill after the store would leave it); the next run
    must look it up. Without read:statuses it cannot: Mastodon stops, naming the scope, and nothing is
    failed or sent twice. With it, the run finds the post and completes."""
    clock = VirtualClock()
    set_env(monkeypatch, cli_env(mastodon=MASTODON_CANARY))
    with make_mastodon_fake(clock=clock.wall, scopes=scopes) as fake:
        setup = Setup(tmp_path, feed=str(write_feed(tmp_path / "feed.xml", entries(1, prefix="scope"))),
                      mastodon=fake.base_url, mode="teaser", timeout=1.0)
        setup.write()
        fake.stall_after_store(5.0)
        run_inproc(setup, clock)
        assert len(fake.statuses) == 1
        clock.jump(2 * 3600)  # past the Idempotency-Key's hour: only a lookup can tell
        report = run_inproc(setup, clock)
        (part,) = parts(setup.state, "mastodon")
        if completes:
            assert report.exit_code == 0
            assert part["state"] == "sent" and part["remote_id"] == fake.statuses[0].id
        else:
            assert report.exit_code == 1
            assert any("read:statuses" in line for line in report.lines())
            assert part["state"] not in ("failed", "sent", "unknown")
        assert len(fake.statuses) == 1
        assert len(fake.requests_to("POST", API_STATUSES)) == 1


def test_upload_is_typed_and_named_from_the_bytes_not_the_url(
    fake: FakeMastodon, make_publisher: MakePublisher
) -> None:
    jpeg = jpeg_bytes()
    publisher = make_publisher(fake, fetch_image=lambda url: jpeg)
    publisher.publish(post("photo", images=(Image("https://img.test/a.jpg", "A bridge"),)),
                      identity=identity())
    (media,) = fake.media.values()
    assert media.mime_type == "image/jpeg"
    assert media.file_name is not None and media.file_name.endswith(".jpg"), media.file_name
    png = png_bytes()
    publisher = make_publisher(fake, fetch_image=lambda url: png)
    publisher.publish(post("mislabelled", images=(Image("https://img.test/b.jpg", ""),)),
                      identity=identity(2))
    newest = max(fake.media.values(), key=lambda m: int(m.id))
    assert newest.mime_type == "image/png" and newest.file_name is not None and newest.file_name.endswith(".png")
