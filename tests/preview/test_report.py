"""The report page as HTML (no browser): self-contained, a CSP like the preview's, charts drawn,
untrusted text escaped, links only when http(s), and an empty state that says what to do."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from preview.sample_report import SCRIPT_REPLY, TITLES, report_data
from syndicate.preview.report import render_report

WHEN = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def test_the_page_is_self_contained_with_a_strict_csp() -> None:
    html = render_report(report_data(), generated_at=WHEN)
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp is not None and "default-src 'none'" in csp.group(1) and "script-src" not in csp.group(1)
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert not re.search(r'(?:src|href)="(?!https://|#)', html)  # every link http(s) or in-page


def test_four_charts_are_drawn_as_inline_svg() -> None:
    html = render_report(report_data(), generated_at=WHEN)
    charts = re.findall(r'<figure class="chart" id="chart-([\w-]+)">.*?<svg', html, flags=re.S)
    assert charts == ["per-network", "curve", "timing", "teaser-thread"]
    assert "<?xml" not in html and "<!DOCTYPE svg" not in html


def test_untrusted_text_is_escaped_and_only_http_links_are_links() -> None:
    html = render_report(report_data(), generated_at=WHEN)
    assert SCRIPT_REPLY not in html
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "javascript:" not in html  # the reply's link was not http(s): no link at all
    for title in TITLES:
        assert title in html


def test_the_same_data_gives_the_same_page() -> None:
    assert render_report(report_data(), generated_at=WHEN) == render_report(report_data(), generated_at=WHEN)


def test_the_empty_state_says_what_to_do() -> None:
    html = render_report({"dispatches": []}, generated_at=WHEN)
    assert 'id="empty"' in html and "syndicate stats" in html and "syndicate run" in html
    assert "<svg" not in html
