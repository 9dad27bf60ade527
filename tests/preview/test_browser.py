"""The preview page in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

Checks what a follower-eye view depends on and a unit test cannot see: the DOM
a browser builds from our HTML (posts per column, their text, where links go),
that images load only from where we pointed them (127.0.0.1 here) and nothing
else is fetched, that no script ever runs, and that the columns stack at phone
width. Saves a screenshot to test-artifacts/preview.png.

If Chromium is not installed this test fails (it does not skip): run
`apt-get install chromium` or tests/preview/install.sh.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from preview.browser import BrowserMissing, check_installed, chromium_page, serve_directory
from preview.sample_plan import ALT, ARTICLE, SCRIPT, hostile_plan, picture, realistic_plan
from syndicate.preview.html import write_html

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# What the page shows, read back from the DOM the browser built.
READ_DOM = """() => [...document.querySelectorAll('section.dispatch')].map(d => ({
  title: d.querySelector('h2').textContent,
  warnings: [...d.querySelectorAll('li.warning')].map(w => ({text: w.textContent, blocking: w.classList.contains('blocking')})),
  columns: Object.fromEntries([...d.querySelectorAll('section.column')].map(c => [c.dataset.platform, {
    label: document.getElementById(c.getAttribute('aria-labelledby')).textContent,
    skipped: c.querySelector('.skipped') ? c.querySelector('.skipped').textContent : null,
    posts: [...c.querySelectorAll('article.post')].map(a => ({
      text: a.querySelector('p.text').textContent,
      hrefs: [...a.querySelectorAll('p.text a')].map(x => x.getAttribute('href')),
      card: a.querySelector('a.card') ? a.querySelector('a.card').getAttribute('href') : null,
      images: [...a.querySelectorAll('.media img')].map(i => ({
        src: i.getAttribute('src'), alt: i.alt, title: i.title, loaded: i.complete && i.naturalWidth > 0})),
      captions: [...a.querySelectorAll('.caption')].map(x => x.textContent),
      part: a.querySelector('.part') ? a.querySelector('.part').textContent : null,
      length: a.querySelector('.length').textContent,
    })),
  }])),
}))"""

COLUMN_BOXES = """() => [...document.querySelectorAll('section.dispatch')][0]
  .querySelectorAll('section.column').values().map(c => c.getBoundingClientRect())
  .map(r => ({x: Math.round(r.x), y: Math.round(r.y), width: Math.round(r.width)})).toArray()"""


def test_preview_in_headless_chromium(tmp_path: Path) -> None:
    try:
        check_installed()
    except BrowserMissing as exc:
        pytest.fail(f"the browser test needs a real Chromium: {exc}")
    (tmp_path / "photo.png").write_bytes(picture("photo"))
    (tmp_path / "card.png").write_bytes(picture("card"))
    with serve_directory(tmp_path) as base:
        plan = realistic_plan(base)
        plan["dispatches"] += hostile_plan(base)["dispatches"]
        write_html(plan, tmp_path / "preview.html")
        with chromium_page(width=1280, height=900) as (page, traffic):
            page.goto(f"{base}/preview.html", wait_until="load")
            dom: list[dict[str, Any]] = page.evaluate(READ_DOM)
            no_script = page.evaluate("[typeof window.__xss, document.scripts.length]")
            desktop = page.evaluate(COLUMN_BOXES)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "preview.png"), full_page=True)
            page.set_viewport_size({"width": 390, "height": 844})
            phone = page.evaluate(COLUMN_BOXES)
            page.screenshot(path=str(ARTIFACTS / "preview-phone.png"), full_page=True)

    # No script ran: no dialog, the canary is untouched, and the browser built no <script> element.
    assert traffic.dialogs == []
    assert no_script == ["undefined", 0]
    # Nothing but our loopback server was even asked for: the page and the two pictures.
    assert traffic.refused == []
    assert sorted(set(traffic.requested)) == [f"{base}/card.png", f"{base}/photo.png", f"{base}/preview.html"]

    real, hostile = dom
    want = plan["dispatches"][0]["platforms"]
    assert real["title"] == "In Puno, fishers watch Lake Titicaca retreat"
    assert real["warnings"] == [{"text": "Warningsummary-shortened The summary was cut after its first "
                                 "sentence to fit the X teaser.", "blocking": False}]
    cols = real["columns"]
    assert list(cols) == ["x", "bluesky", "mastodon"]
    assert [cols[p]["label"] for p in cols] == ["On X1 post", "On Blueskythread of 3", "On Mastodonthread of 3"]
    for platform, col in cols.items():
        assert [p["text"] for p in col["posts"]] == [p["text"] for p in want[platform]["posts"]], platform
        assert [p["length"] for p in col["posts"]] == [
            f"{p['length']}/{p['limit']}" for p in want[platform]["posts"]
        ], platform

    x, bluesky, mastodon = cols["x"]["posts"], cols["bluesky"]["posts"], cols["mastodon"]["posts"]
    assert [p["part"] for p in x] == [None]
    assert [p["part"] for p in bluesky] == [p["part"] for p in mastodon] == ["1/3", "2/3", "3/3"]
    assert x[0]["hrefs"] == [ARTICLE, "https://x.com/hashtag/Peru", "https://x.com/hashtag/climate"]
    assert [p["hrefs"] for p in bluesky] == [
        [],
        [],
        ["https://bsky.app/profile/anaquispe.bsky.social", ARTICLE,
         "https://bsky.app/hashtag/Peru", "https://bsky.app/hashtag/ClimateCrisis"],
    ]
    assert [p["hrefs"] for p in mastodon] == [
        [],
        [],
        ["https://journa.host/@ana", "https://mastodon.social/@luis", ARTICLE,
         "https://journa.host/tags/Peru", "https://journa.host/tags/Titicaca", "https://journa.host/tags/ClimateCrisis"],
    ]
    assert [p["card"] for p in bluesky] == [ARTICLE, None, None]
    photo = {"src": f"{base}/photo.png", "alt": ALT, "title": ALT, "loaded": True}
    assert x[0]["images"] == mastodon[0]["images"] == [photo]
    assert x[0]["captions"] == mastodon[0]["captions"] == ["ALT" + ALT]

    # The hostile dispatch: its title is text, its javascript: links are not links.
    assert hostile["title"] == SCRIPT
    assert hostile["warnings"][0]["blocking"] is True
    assert hostile["columns"]["x"]["skipped"] == f"skipped: X is disabled for this feed {SCRIPT}"
    assert hostile["columns"]["x"]["posts"] == []
    assert hostile["columns"]["bluesky"]["posts"][0]["hrefs"] == ["https://dispatches.example.org/x?a=1&b=2"]
    assert hostile["columns"]["bluesky"]["posts"][0]["card"] is None

    # Three columns side by side on a desktop, one above the other on a phone.
    assert len({box["y"] for box in desktop}) == 1 and len({box["x"] for box in desktop}) == 3
    assert len({box["x"] for box in phone}) == 1 and [b["y"] for b in phone] == sorted(b["y"] for b in phone)
    assert all(box["width"] <= 390 for box in phone)
    assert (ARTIFACTS / "preview.png").stat().st_size > 10_000
