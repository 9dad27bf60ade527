"""Mastodon edits (corrections, `[corrections] updates = "edit"`): `PUT /api/v1/statuses/:id`
through Mastodon.py against the fake, which replaces the whole status as the server does."""

from __future__ import annotations

import httpx
import pytest
from fakes.mastodon_api import FakeMastodon
from mastodon_support import MakePublisher, identity, png_bytes, post

from syndicate.errors import AuthError
from syndicate.model import Image, Receipt


def test_edit_keeps_media_and_content_warning_and_adds_a_version(fake: FakeMastodon,
                                                                 make_publisher: MakePublisher) -> None:
    pub = make_publisher(fake, spoiler_text="flood", fetch_image=lambda url: png_bytes())
    sent = pub.publish(post("Before the fix", images=(Image(url="https://site.example/a.png", alt="water"),)),
                       identity=identity())
    [stored] = fake.statuses
    media = stored.media

    edited = pub.edit(Receipt("mastodon", sent.id, sent.url), post("After the fix"))

    assert edited.id == sent.id
    assert stored.text == "After the fix"
    assert stored.media == media and media, "the edit dropped the picture"
    assert stored.spoiler_text == "flood", "the edit dropped the content warning"
    assert stored.edited_at is not None
    history = httpx.get(f"{fake.base_url}/api/v1/statuses/{sent.id}/history", timeout=5).json()
    assert [h["content"] for h in history] == ["<p>Before the fix</p>", "<p>After the fix</p>"]
    assert pub.source_text(Receipt("mastodon", sent.id, sent.url)) == "After the fix"


def test_an_identical_edit_still_adds_a_version_which_is_why_delivery_reads_the_source_first(
        fake: FakeMastodon, make_publisher: MakePublisher) -> None:
    pub = make_publisher(fake)
    sent = pub.publish(post("Text"), identity=identity())
    target = Receipt("mastodon", sent.id, sent.url)
    pub.edit(target, post("Text, fixed"))
    pub.edit(target, post("Text, fixed"))
    assert len(fake.statuses[0].history) == 2


def test_source_of_a_deleted_status_is_none(fake: FakeMastodon, make_publisher: MakePublisher) -> None:
    pub = make_publisher(fake)
    sent = pub.publish(post("Soon gone"), identity=identity())
    pub.delete(Receipt("mastodon", sent.id, sent.url))
    assert pub.source_text(Receipt("mastodon", sent.id, sent.url)) is None


def test_edit_needs_write_statuses(make_publisher: MakePublisher) -> None:
    with FakeMastodon(token="t", scopes="read:statuses read:accounts write:media") as fake:
        seeded = fake.seed_status("Someone's words")
        pub = make_publisher(fake, token="t")
        with pytest.raises(AuthError):
            pub.edit(Receipt("mastodon", seeded.id, ""), post("Changed"))
        assert fake.statuses[0].text == "Someone's words"


def test_media_of_another_account_is_refused(fake: FakeMastodon) -> None:
    other = fake.add_account("bob", "bob-token")
    token = next(t for t, a in fake.tokens.items() if a == fake.account_id)
    with httpx.Client(base_url=fake.base_url, timeout=5) as client:
        media = client.post("/api/v2/media", headers={"Authorization": "Bearer bob-token"},
                            files={"file": ("a.png", png_bytes(), "image/png")}).json()
        mine = client.post("/api/v1/statuses", headers={"Authorization": f"Bearer {token}"},
                           data={"status": "Mine"}).json()
        answer = client.put(f"/api/v1/statuses/{mine['id']}", headers={"Authorization": f"Bearer {token}"},
                            data={"status": "Mine, with bob's picture", "media_ids[]": media["id"]})
    assert answer.status_code == 422
    assert other and fake.statuses[0].text == "Mine"
