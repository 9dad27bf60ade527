"""detect_facets against @atproto/api's detectFacetsWithoutResolution, on every vector in length_vectors.jsonl."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from syndicate.compose.facets import detect_facets, find_links
from syndicate.model import Facet

VECTORS = Path(__file__).parent.parent / "data" / "length_vectors.jsonl"


def _vectors() -> list[dict[str, Any]]:
    with VECTORS.open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [row for row in rows if "text" in row]


def _expected(row: dict[str, Any]) -> list[tuple[str, int, int, str]]:
    out = []
    for kind, start, end, value in row["bluesky"]["facets"]:
        if kind == "link" and not value.startswith(("http://", "https://")):
            # The one deliberate difference: the reference keeps "httpfoo.com" without a scheme (it only
            # checks startsWith('http')), which the lexicon's `uri` format refuses; we add https://.
            value = "https://" + value
        out.append((kind, start, end, value))
    return out


def test_every_vector_agrees_with_the_reference() -> None:
    rows = _vectors()
    assert len(rows) > 1000  # the file really was read
    wrong = []
    for row in rows:
        got = [(f.kind, f.byte_start, f.byte_end, f.value) for f in detect_facets(row["text"], [])]
        if got != _expected(row):
            wrong.append((row["id"], got, row["bluesky"]["facets"]))
    assert not wrong, f"{len(wrong)} of {len(rows)} vectors disagree, first: {wrong[:3]}"


def test_a_link_the_reference_leaves_without_a_scheme_gets_https() -> None:
    row = next(r for r in _vectors() if r["id"] == "facet-links-bare")
    assert ["link", 52, 63, "httpfoo.com"] in row["bluesky"]["facets"]  # what the reference does
    assert Facet("link", 52, 63, "https://httpfoo.com") in detect_facets(row["text"])


def test_upper_case_scheme_is_not_a_link_like_the_app() -> None:
    # The app checks startsWith('http'): an upper-case scheme is neither a URI nor a bare domain.
    assert detect_facets("see HTTPS://example.com/x now") == ()
    assert find_links("see HTTPS://example.com/x and https://example.org/y") == [(30, 51, "https://example.org/y")]


def test_cashtags_are_tags_with_the_ticker_upper_cased() -> None:
    text = "Up: $tsla and $AAPL."
    assert detect_facets(text) == (Facet("tag", 4, 9, "$TSLA"), Facet("tag", 14, 19, "$AAPL"))


def test_composer_links_win_over_detection_and_are_byte_ranges() -> None:
    full = "https://例え.jp/ニュース/2026/11/長い記事"
    shown = "例え.jp/ニュース/2026/11/長…"
    text = f"東京 {shown} #東京 and again {shown}"
    got = detect_facets(text, [(shown, full)])
    raw = text.encode("utf-8")
    assert [(f.kind, raw[f.byte_start : f.byte_end].decode(), f.value) for f in got] == [
        ("link", shown, full),
        ("tag", "#東京", "東京"),
        ("link", shown, full),
    ]


def test_find_links_uses_code_point_indices() -> None:
    text = "東京 https://example.com/パス. end"
    [(start, end, uri)] = find_links(text)
    assert text[start:end] == uri == "https://example.com/パス"
