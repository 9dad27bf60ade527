"""The report page in a real headless Chromium (as the preview is tested, tests/preview/browser.py):
the charts are drawn, the page asks for nothing outside it, CJK and right-to-left titles render in
their own direction, a hostile reply stays text, dark mode is dark, and the empty state shows.
Saves test-artifacts/report.png. Fails (does not skip) without Chromium: tests/preview/install.sh."""

from __future__ import annotations

from pathlib import Path

import pytest

from preview.browser import BrowserMissing, check_installed, chromium_page, serve_directory
from preview.sample_report import SCRIPT_REPLY, TITLES, report_data
from syndicate.preview.report import write_report

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

READ = """() => ({
  charts: [...document.querySelectorAll('figure.chart')].map(f => ({
    id: f.id, svg: !!f.querySelector('svg'), width: Math.round(f.querySelector('svg').getBoundingClientRect().width),
    shapes: f.querySelectorAll('svg path, svg rect, svg line, svg use').length})),
  titles: [...document.querySelectorAll('section.dispatch h2')].map(h => ({
    text: h.textContent, direction: getComputedStyle(h).direction, width: Math.round(h.getBoundingClientRect().width)})),
  replies: [...document.querySelectorAll('li.reply .reply-text')].map(r => r.textContent),
  scripts: document.querySelectorAll('script').length,
  images: document.querySelectorAll('img').length,
  background: getComputedStyle(document.body).backgroundColor,
  empty: document.getElementById('empty') ? document.getElementById('empty').textContent : null,
})"""


@pytest.fixture(autouse=True)
def _browser() -> None:
    try:
        check_installed()
    except BrowserMissing as exc:
        pytest.fail(f"the browser test needs a real Chromium: {exc}")


def test_report_in_headless_chromium(tmp_path: Path) -> None:
    write_report(report_data(), tmp_path / "report.html")
    with serve_directory(tmp_path) as base, chromium_page(width=1280, height=900) as (page, traffic):
        page.goto(f"{base}/report.html", wait_until="load")
        seen = page.evaluate(READ)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        page.emulate_media(color_scheme="dark")
        dark = page.evaluate(READ)["background"]
    assert [c["id"] for c in seen["charts"]] == ["chart-per-network", "chart-curve", "chart-timing",
                                                 "chart-teaser-thread"]
    assert all(c["svg"] and c["width"] > 300 and c["shapes"] > 10 for c in seen["charts"]), seen["charts"]
    assert traffic.requested == [f"{base}/report.html"] and traffic.refused == []  # nothing else was asked for
    assert traffic.dialogs == [] and seen["scripts"] == 0 and seen["images"] == 0
    by_text = {t["text"].split(" ", 1)[1]: t for t in seen["titles"]}
    assert set(by_text) == set(TITLES)
    assert by_text["الأمطار الغزيرة تغلق الطرق في المدينة"]["direction"] == "rtl"
    assert by_text["שריפה בפארק הלאומי נשלטה"]["direction"] == "rtl"
    assert by_text["東京の地下鉄、終電を延長へ"]["direction"] == "ltr" and by_text["東京の地下鉄、終電を延長へ"]["width"] > 0
    assert SCRIPT_REPLY in seen["replies"]  # shown as the text it is
    assert seen["background"] == "rgb(255, 255, 255)" and dark == "rgb(17, 19, 24)"


def test_empty_report_in_headless_chromium(tmp_path: Path) -> None:
    write_report({"dispatches": []}, tmp_path / "report.html")
    with serve_directory(tmp_path) as base, chromium_page(width=800, height=600) as (page, traffic):
        page.goto(f"{base}/report.html", wait_until="load")
        seen = page.evaluate(READ)
    assert seen["charts"] == [] and seen["titles"] == []
    assert seen["empty"] is not None and "syndicate stats" in seen["empty"]
    assert traffic.refused == []
