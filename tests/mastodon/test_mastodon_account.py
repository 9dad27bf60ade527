"""check(), the token from the environment, lazy import, and the small helpers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fakes.mastodon_api import FakeMastodon
from mastodon_support import ImageServer, MakePublisher, png_bytes

from syndicate.errors import AuthError, ConfigError, Permanent, Transient
from syndicate.netguard import FetchPolicy
from syndicate.platforms.mastodon import (
    TOKEN_FILE_VARIABLE,
    TOKEN_VARIABLE,
    MastodonPublisher,
    iso639_1,
)
from syndicate.platforms.media import fetch_image, trim_alt_text
from syndicate.settings import MastodonSettings
from syndicate.watch.htmltext import html_to_text

# The image server is on loopback: content fetches reach it only when allowed (netguard).
LOCAL = FetchPolicy.for_feeds([], ["127.0.0.0/8"])


def test_check_reports_handle_display_name_and_limits(make_publisher: MakePublisher) -> None:
    with FakeMastodon(token="tok-check", max_characters=640) as fake:
        info = make_publisher(fake, "tok-check").check()
    assert info.platform == "mastodon"
    assert info.handle == "@alice@127.0.0.1"
    assert info.display_name == "Alice Reporter"
    assert info.limits is not None and info.limits.max_characters == 640
    assert info.notes == ()


def test_check_notes_an_account_not_marked_as_bot(make_publisher: MakePublisher) -> None:
    with FakeMastodon(token="tok-check", bot=False) as fake:
        assert any("bot" in note for note in make_publisher(fake, "tok-check").check().notes)


def test_token_from_the_environment(tmp_path: Path) -> None:
    from syndicate.platforms.mastodon import access_token_from_env

    assert access_token_from_env({TOKEN_VARIABLE: " abc \n"}) == "abc"
    token_file = tmp_path / "token"
    token_file.write_text("from-file\n")
    assert access_token_from_env({TOKEN_FILE_VARIABLE: str(token_file)}) == "from-file"
    assert access_token_from_env({TOKEN_VARIABLE: "env", TOKEN_FILE_VARIABLE: str(token_file)}) == "env"


@pytest.mark.parametrize("case", ["missing", "no-file", "empty-file", "binary-file"])
def test_token_problems_name_the_variable(tmp_path: Path, case: str) -> None:
    from syndicate.platforms.mastodon import access_token_from_env

    token_file = tmp_path / "token"
    if case == "empty-file":
        token_file.write_text("  \n")
    if case == "binary-file":
        token_file.write_bytes(b"\xff\xfesecret-bytes")
    environ = {} if case == "missing" else {TOKEN_FILE_VARIABLE: str(token_file)}
    with pytest.raises(AuthError) as info:
        access_token_from_env(environ)
    expected = TOKEN_VARIABLE if case == "missing" else TOKEN_FILE_VARIABLE
    assert info.value.variable == expected
    assert expected in str(info.value)
    assert "secret-bytes" not in str(info.value) and info.value.__cause__ is None


def test_publisher_needs_an_instance_and_a_token() -> None:
    with pytest.raises(ConfigError, match="mastodon.instance"):
        MastodonPublisher(MastodonSettings(enabled=True), "token")
    with pytest.raises(AuthError, match=TOKEN_VARIABLE):
        MastodonPublisher(MastodonSettings(enabled=True, instance="https://m.example"), "")
    with pytest.raises(ConfigError, match="mastodon.visibility: visibility 'friends' is not one of public"):
        MastodonPublisher(MastodonSettings(enabled=True, instance="https://m.example", visibility="friends"), "t")


def test_importing_and_building_the_publisher_does_not_import_mastodon_py() -> None:
    code = (
        "import sys\n"
        "from syndicate.platforms.mastodon import MastodonPublisher\n"
        "from syndicate.settings import MastodonSettings\n"
        "p = MastodonPublisher(MastodonSettings(enabled=True, instance='http://127.0.0.1:9'), 'token')\n"
        "repr(p)\n"
        "assert 'mastodon' not in sys.modules, 'Mastodon.py was imported'\n"
        "assert 'requests' not in sys.modules, 'requests was imported'\n"
        "print('lazy')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "lazy"


def test_language_tags_become_iso639_1() -> None:
    assert [iso639_1(t) for t in ("en", "pt-BR", "zh_Hant", "EN-gb", "fil", "und", None, "")] == [
        "en", "pt", "zh", "en", None, None, None, None]


def test_trim_alt_text_keeps_graphemes_and_words_whole() -> None:
    assert trim_alt_text("  short  ", 10) == "short"
    family = "👩‍👩‍👧"  # five code points, one grapheme
    trimmed = trim_alt_text("ab " + family * 3, 10)
    assert len(trimmed) <= 10
    assert trimmed == "ab " + family + "…"  # the second family would not fit whole
    assert trim_alt_text("words that run past the limit", 16) == "words that run…"


def test_html_to_text_reverses_mastodon_rendering() -> None:
    # find() compares a status's HTML with what was posted, through watch's one HTML→text.
    content = ('<p>Mud &amp; water <a href="https://x.example/long/path" rel="nofollow noopener"><span '
               'class="invisible">https://</span><span class="ellipsis">x.example/lo</span><span '
               'class="invisible">ng/path</span></a><br />line two</p><p>para two</p>')
    assert html_to_text(content) == "Mud & water https://x.example/long/path\nline two\n\npara two"


def test_image_fetcher(image_server: ImageServer) -> None:
    data = png_bytes()
    image_server.routes.update({
        "/ok.png": (200, data), "/big.png": (200, b"\0" * 2000),
        "/gone.png": (404, b"no"), "/busy.png": (503, b"later"),
    })
    base = image_server.base_url
    assert fetch_image(base + "/ok.png", platform="mastodon", timeout=5, policy=LOCAL) == data
    with pytest.raises(Permanent, match="larger than 1000 bytes"):
        fetch_image(base + "/big.png", platform="mastodon", timeout=5, max_bytes=1000, policy=LOCAL)
    with pytest.raises(Permanent, match="HTTP 404"):
        fetch_image(base + "/gone.png", platform="mastodon", timeout=5, policy=LOCAL)
    with pytest.raises(Transient, match="HTTP 503"):
        fetch_image(base + "/busy.png", platform="mastodon", timeout=5, policy=LOCAL)
    image_server.close()
    with pytest.raises(Transient, match="ConnectError"):
        fetch_image(base + "/ok.png", platform="mastodon", timeout=5, policy=LOCAL)


def test_a_fetcher_that_fails_oddly_drops_the_image_not_the_post(make_publisher: MakePublisher) -> None:
    # Issue 9: an image never holds its post back (this used to defer the post as Transient).
    from syndicate.model import Image, Post
    from syndicate.platforms.base import PartIdentity

    def broken(url: str) -> bytes:
        raise OSError("disk on fire")

    with FakeMastodon(token="tok-fetch") as fake:
        pub = make_publisher(fake, "tok-fetch", fetch_image=broken)
        receipt = pub.publish(Post("t", 1, 500, images=(Image("https://s.example/a.png"),)),
                              identity=PartIdentity("d", 1, "k"))
        assert [s.text for s in fake.statuses] == ["t"] and fake.statuses[0].media == ()
        assert receipt.dropped == ("image https://s.example/a.png (OSError: disk on fire)",)
