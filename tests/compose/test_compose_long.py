"""Composing costs what the posts need, not what the entry weighs: very long entries compose under a
memory cap, and for realistic texts the bounded composer gives exactly the posts the old one gave."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import hypothesis.strategies as st
import pytest
import regex
from compose_recorded import RECORDED, cases, digest
from hypothesis import given, settings

from syndicate.compose.length import measure
from syndicate.compose.sentences import (
    _CJK,
    _KATAKANA,
    _MASK,
    _NO_END,
    _NO_START,
    _SPACE_CHARS,
    CHUNK,
    Sentence,
    grapheme_boundaries,
    split_paragraphs,
    word_breaks,
)
from syndicate.compose.teaser import truncate
from syndicate.compose.thread import pack

HERE = Path(__file__).resolve().parent
MB = 1_000_000

# --- the same output as before ------------------------------------------------------------------------

RECORDINGS = json.loads(RECORDED.read_text())
CASES = dict(cases())


def test_recording_covers_every_case() -> None:
    assert sorted(RECORDINGS) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_posts_as_the_unbounded_composer(name: str) -> None:
    """Recorded with the composer before this change (see compose_recorded.py)."""
    assert digest(CASES[name]()) == RECORDINGS[name], name


def _cjk_break(prev: str, cur: str) -> bool:
    if not (_CJK.match(prev) or _CJK.match(cur)):
        return False
    if cur in _NO_START or prev in _NO_END:
        return False
    return not (_KATAKANA.match(prev) and _KATAKANA.match(cur))


def _old_word_breaks(text: str) -> list[int]:
    """word_breaks as it was (one Python step per character): the oracle for the scanning version."""
    n = len(text)
    if n == 0:
        return []
    has_cjk = _CJK.search(text) is not None
    clusters = set(grapheme_boundaries(text)) if has_cjk else set()
    out = []
    for i in range(1, n):
        prev, cur = text[i - 1], text[i]
        if prev.isspace():
            continue
        if cur.isspace():  # noqa: SIM114 (the old code, as it was)
            out.append(i)
        elif has_cjk and i in clusters and _cjk_break(prev, cur):
            out.append(i)
    if not text[-1].isspace():
        out.append(n)
    return out


PIECES = st.sampled_from(["a", "word", " ", "  ", "\u3000", "\xa0", "\n", "\x1c", "東", "京", "コン", "ー", "。",
                          "「", "」", "、", "e\u0301", "👨‍👩‍👧", "🇯🇵", "!", "https://x.org/a?b"])


@settings(max_examples=400, deadline=None, database=None)
@given(st.lists(PIECES, max_size=40).map("".join), st.integers(0, 200))
def test_word_breaks_match_the_old_scan_and_stop_early(text: str, stop: int) -> None:
    old = _old_word_breaks(text)
    assert word_breaks(text) == old
    assert word_breaks(text, stop) == [i for i in old if i <= stop]


def test_space_class_is_exactly_str_isspace() -> None:
    import re

    every = (chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    pattern = re.compile(f"[{_SPACE_CHARS}]")
    assert [c for c in every if c.isspace() != bool(pattern.match(c))] == []


_OLD_MASK = regex.compile(  # sentences._MASK as it was, trying every start position (square cost)
    r"(?:https?://|www\.|[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)+/)\S*?(?=[.,;:!?)\]\"'»”’]*(?:\s|$))"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
)
MASK_PIECES = st.sampled_from(["a", "b", "1", "-", ".", "/", "@", "_", "+", " ", "東", "é", ":", "?", ")", "https://",
                               "www.", "x.com/", "bob@mail.org", "Donaudampf"])


@settings(max_examples=1500, deadline=None, database=None)
@given(st.lists(MASK_PIECES, max_size=16).map("".join))
def test_url_and_email_mask_matches_the_old_pattern(text: str) -> None:
    assert [m.span() for m in _MASK.finditer(text)] == [m.span() for m in _OLD_MASK.finditer(text)]


@pytest.mark.parametrize("unit", ["It rained. The river rose 2.5 m. Nobody slept! ", "lorem ipsum dolor sit ",
                                  "Donaudampfschiff", "東京都は新しい防災計画を発表した。", "東京都は新しい計画"])
def test_long_paragraph_sentences_join_back_to_the_text(unit: str) -> None:
    text = (unit * (3 * CHUNK // len(unit)))[: 3 * CHUNK + 123].strip()
    (para,) = split_paragraphs(text, None)
    pieces = list(para.iter_sentences())
    assert len(pieces) > 1 and all(len(p.text) <= CHUNK for p in pieces)
    assert "".join((p.joiner if k else "") + p.text for k, p in enumerate(pieces)) == text
    assert "".join((s.joiner if k else "") + s.text for k, s in enumerate(para.sentences)) == text
    assert not any(s.open for s in para.sentences)


@pytest.mark.parametrize("unit", ["w{} ", "Donaudampfschifffahrt", "東京都は二十三日新しい防災計画を発表した住民から"])
@pytest.mark.parametrize("platform", ["x", "bluesky"])
def test_a_sentence_in_pieces_packs_like_the_whole_sentence(unit: str, platform: str) -> None:
    """A sentence longer than a chunk comes in open pieces (cut at a space, or between clusters when it
    has none); packing pulls them in as needed, so every cut falls where it falls in the whole sentence."""
    text = "".join(unit.format(i) for i in range(3 * CHUNK // len(unit.format(0)) + 7)).strip()
    (para,) = split_paragraphs(text, "en")
    assert sum(p.open for p in para.iter_sentences()) >= 2

    def fits(t: str) -> bool:
        return measure(platform, t).valid

    whole = [Sentence(text, "")]
    assert pack(split_paragraphs(text, "en"), fits) == pack(whole, fits)
    assert pack(split_paragraphs(text, "en"), fits, stop_after=3) == pack(whole, fits, stop_after=3)
    assert truncate(text, fits) == truncate(text[: CHUNK + 1], fits)


# --- bounded cost ---------------------------------------------------------------------------------------

LONG_TEXTS = {
    "no-sentence-break": "(('lorem ipsum dolor sit amet consectetur ' * 30000)[:MB]).strip()",
    "short-sentences": "(('It rained. The river rose. Nobody slept. ' * 30000)[:MB]).strip()",
    "one-giant-word": "'Donaudampfschifffahrt' * (MB // 21)",
    "cjk-without-spaces": "('東京都は二十三日新しい防災計画を発表した住民からは不安の声も上がっている' * 30000)[:MB]",
    "cjk-sentences": "('東京都は新しい防災計画を発表した。住民からは不安の声も上がっている！' * 30000)[:MB]",
}

CHILD = """
import resource, sys
sys.path.insert(0, {here!r})
from compose_corpus import dispatch
from syndicate.compose.plan import plan_dispatch
from syndicate.model import PLATFORMS, Limits
from syndicate.settings import ComposeSettings
MB = 1_000_000
plan_dispatch(dispatch("warm", summary="A warm-up. Two sentences."), platforms=PLATFORMS,
              compose={{p: ComposeSettings(mode="thread") for p in PLATFORMS}})
text = {expr}
assert len(text) >= MB * 0.99, len(text)
with open("/proc/self/status") as fh:
    mapped = next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmSize:"))
resource.setrlimit(resource.RLIMIT_AS, (mapped + {headroom}, mapped + {headroom}))
for mode in ("teaser", "thread"):
    d = dispatch("long", language={language!r}, summary=text if mode == "teaser" else "A summary.", text=text,
                 title=text[: MB // 2])
    compose = {{p: ComposeSettings(mode=mode, max_parts={parts}) for p in PLATFORMS}}
    plan = plan_dispatch(d, platforms=PLATFORMS, compose=compose, limits={{"mastodon": Limits({mastodon})}})
    for pp in plan.platforms:
        assert pp.posts and pp.skipped is None, (mode, pp.platform, pp.skipped)
        assert len(pp.posts) == (1 if mode == "teaser" else {parts}), (mode, pp.platform, len(pp.posts))
print("ok")
"""


# A megabyte of text is 1–4 MB in memory (UCS-4 for CJK) and is copied a few times; 256 MiB leaves room for
# that and the allocator, and is a fifth of what the old composer took for a tenth of the text.
HEADROOM = 256 * 1024**2


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the address space size from /proc")
@pytest.mark.parametrize(("parts", "mastodon"), [(5, 500), (20, 5000)])
@pytest.mark.parametrize("shape", sorted(LONG_TEXTS))
def test_a_megabyte_entry_composes_under_a_memory_cap(shape: str, parts: int, mastodon: int) -> None:
    """Teaser and thread for 1 MB of text, in a child whose address space may grow by only HEADROOM past
    what it maps after imports, a warm-up and building the text (the old composer needed 1.26 GB for
    110 KB, 4.4 GB for 223 KB). Not a timing test: the bench measures time."""
    language = "ja" if shape.startswith("cjk") else "en"
    code = CHILD.format(here=str(HERE), expr=LONG_TEXTS[shape], headroom=HEADROOM, language=language, parts=parts,
                        mastodon=mastodon)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_a_long_field_the_template_does_not_show_does_not_cost_the_hashtags() -> None:
    from syndicate.compose.length import measure
    from syndicate.compose.teaser import Fields, fit_teaser

    fields = Fields(title="word " * 5000, summary="A short summary.", url="https://example.org/a",
                    hashtags=("#one", "#two"))
    text = fit_teaser("{summary}\n{url} {hashtags}", fields, lambda t: measure("x", t).valid)
    assert text == "A short summary.\nhttps://example.org/a #one #two"


def test_a_long_title_is_shortened_to_what_fits_and_the_summary_dropped() -> None:
    from syndicate.compose.length import measure
    from syndicate.compose.teaser import Fields, fit_teaser

    def fits(t: str) -> bool:
        return measure("x", t).valid

    fields = Fields(title="word " * 50000, summary="A summary.", url="https://example.org/a", hashtags=("#t",))
    text = fit_teaser("{title}\n\n{summary}\n\n{url}\n\n{hashtags}", fields, fits)
    assert text is not None and text.endswith("…\n\nhttps://example.org/a")
    assert not fits(text.replace("…", " word…"))  # the longest that fits: one more word does not
