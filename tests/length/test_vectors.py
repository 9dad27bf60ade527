"""Our counts against vectors from the platforms' own libraries (tests/data/length_vectors.jsonl).

The vectors come from npm twitter-text 3.1.0 (`parseTweet`, `extractUrlsWithIndices`)
and @atproto/api (`RichText.graphemeLength`, UTF-8 length,
`detectFacetsWithoutResolution`), run by
tools/vectors/generate.mjs over tools/vectors/corpus.jsonl. Every vector must
agree, except the ids listed in KNOWN_DISAGREEMENTS, each with its reason.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from syndicate.compose import length

VECTORS = Path(__file__).resolve().parent.parent / "data" / "length_vectors.jsonl"
PACKAGE_JSON = Path(__file__).resolve().parents[2] / "tools" / "vectors" / "package.json"

# id -> why we knowingly differ. Currently empty: every vector agrees.
# Where we would expect entries, and why there are none:
# * Emoji newer than Emoji 11.0 (🫠, ❤️‍🔥, 🫶🏽, 🏳️‍⚧️): we deliberately use
#   twitter-text 3.1.0's own emoji data, so we count them as it does (piece by
#   piece), which is never less than a newer counter would say.
# * NFC: Python 3.11 normalises with Unicode 14, Node with ICU's Unicode; they
#   differ only for characters added later, which the corpus avoids.
KNOWN_DISAGREEMENTS: dict[str, str] = {}


def _load() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    lines = VECTORS.read_text(encoding="utf-8").splitlines()
    return json.loads(lines[0])["meta"], [json.loads(line) for line in lines[1:]]


META, ROWS = _load()


def _mismatches(check: Any) -> dict[str, str]:
    bad = {}
    for row in ROWS:
        problem = check(row)
        if problem and row["id"] not in KNOWN_DISAGREEMENTS:
            bad[row["id"]] = problem
    return bad


def test_vectors_come_from_the_pinned_reference_libraries() -> None:
    pins = json.loads(PACKAGE_JSON.read_text(encoding="utf-8"))["dependencies"]
    assert META["twitter-text"] == pins["twitter-text"] == "3.1.0"
    assert META["@atproto/api"] == pins["@atproto/api"]
    assert len(ROWS) >= 300
    assert len({row["id"] for row in ROWS}) == len(ROWS)


def test_x_weighted_length_and_validity_match_twitter_text() -> None:
    def check(row: dict[str, Any]) -> str | None:
        m = length.measure("x", row["text"])
        want = row["x"]
        if (m.length, m.valid) != (want["weightedLength"], want["valid"]):
            return f"ours {(m.length, m.valid)} != twitter-text {(want['weightedLength'], want['valid'])}"
        return None

    assert _mismatches(check) == {}


def test_x_urls_match_twitter_text() -> None:
    def check(row: dict[str, Any]) -> str | None:
        ours = [list(u) for u in length.x_urls(row["text"])]
        return None if ours == row["x"]["urls"] else f"ours {ours} != twitter-text {row['x']['urls']}"

    assert _mismatches(check) == {}


def test_bluesky_graphemes_and_bytes_match_atproto() -> None:
    def check(row: dict[str, Any]) -> str | None:
        ours = length.bluesky_length(row["text"])
        want = (row["bluesky"]["graphemes"], row["bluesky"]["bytes"])
        return None if ours == want else f"ours {ours} != @atproto/api {want}"

    assert _mismatches(check) == {}


def test_bluesky_facets_match_atproto() -> None:
    def check(row: dict[str, Any]) -> str | None:
        ours = [list(f) for f in length.bluesky_facet_spans(row["text"])]
        want = row["bluesky"]["facets"]
        return None if ours == want else f"ours {ours} != @atproto/api {want}"

    assert _mismatches(check) == {}


def test_bluesky_validity_follows_both_limits() -> None:
    for row in ROWS:
        g, b = row["bluesky"]["graphemes"], row["bluesky"]["bytes"]
        assert length.measure("bluesky", row["text"]).valid == (g <= 300 and b <= 3000), row["id"]


def test_known_disagreements_still_disagree() -> None:
    # A listed disagreement that has gone away must leave the list.
    by_id = {row["id"]: row for row in ROWS}
    for vector_id in KNOWN_DISAGREEMENTS:
        row = by_id[vector_id]
        m = length.measure("x", row["text"])
        g, b = length.bluesky_length(row["text"])
        want = (row["x"]["weightedLength"], row["x"]["valid"], row["bluesky"]["graphemes"], row["bluesky"]["bytes"])
        assert (m.length, m.valid, g, b) != want, vector_id


def test_corpus_covers_the_cases_the_issue_names() -> None:
    ids = {row["id"] for row in ROWS}
    for needed in (
        "headline-link", "headline-hashtags", "url-scheme-less", "emoji-families", "headline-flag",
        "emoji-keycaps", "headline-cjk", "headline-arabic", "headline-hindi", "nfc-decomposed",
        "mention-x", "mention-mastodon", "mention-bluesky", "x-280-ascii", "x-281-ascii",
        "bsky-300", "bsky-301", "bsky-3000-bytes", "bsky-3025-bytes", "ellipsis-bullet",
    ):
        assert needed in ids
    by_id = {row["id"]: row for row in ROWS}
    assert by_id["x-280-ascii"]["x"]["valid"] and not by_id["x-281-ascii"]["x"]["valid"]
    assert by_id["x-280-url"]["x"]["valid"] and not by_id["x-281-url"]["x"]["valid"]
