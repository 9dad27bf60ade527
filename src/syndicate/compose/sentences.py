"""Where text may be cut: sentences (for threads), word breaks and grapheme clusters.

Sentences come from pysbd, one paragraph at a time (a paragraph break is always
a sentence break) and only when asked (`Paragraph.sentences`: pysbd costs a
few microseconds per character, and a paragraph that fits a post whole never
needs splitting), with three repairs on top, because pysbd on its own splits
inside URLs (`?q=`), after honorifics it doesn't know (`Sr.` in Portuguese) and
sometimes mid-clause (`… cada, | i.e. | pouco.`):

* URLs (also as shown shortened, `host/path…`) and e-mail addresses are
  masked before segmenting, so a `?` or `.` in them is never a sentence end;
* a piece that does not end in sentence punctuation is glued to the next one;
* a piece ending in a known abbreviation (`Dr.`, `Sr.`, `e.g.`, `z.B.` …) is
  glued to the next one.

A paragraph longer than `CHUNK` characters is segmented a chunk at a time, and
only as far as a caller reads (`Paragraph.iter_sentences`): pysbd's cost grows
faster than the text, and a thread of five posts needs only its first few
thousand characters. Every sentence a chunk ends inside is segmented again
with the next chunk. A sentence with no end in a whole chunk is handed on in
pieces cut at its last space (or grapheme cluster, for a text without spaces),
each but the last marked `open`; joined, the pieces are the sentence.

Word breaks are where a cut leaves whole words: before whitespace, and between
two CJK characters (Chinese and Japanese are written without spaces and may be
broken between ideographs and kana), never inside a katakana run, a grapheme
cluster, a URL or a hashtag.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pysbd
import regex

# pysbd has no Portuguese (or Galician/Catalan) rules; Spanish ones are the closest.
_LANGUAGE_FALLBACK = {"pt": "es", "gl": "es", "ca": "es"}
_PYSBD_LANGUAGES = frozenset(
    ("am", "ar", "bg", "da", "de", "el", "en", "es", "fa", "fr", "hi", "hy", "it", "ja", "kk", "mr", "my", "nl",
     "pl", "ru", "sk", "ur", "zh")
)

_PARAGRAPH_BREAK = regex.compile(r"\n[ \t\r\f\v]*\n\s*")
# Runs of whitespace and line/tab characters collapse; a single space of any kind stays (U+3000 in
# Japanese, the no-break spaces of French typography).
_SPACES = regex.compile(r"\s{2,}|[\t\n\r\f\v\x1c-\x1f\x85\u2028\u2029]")
# Masked before segmentation; trailing punctuation stays outside so "see x.com/a." still ends a sentence.
# The domain and e-mail alternatives start only where a run of their characters starts (or where the
# last match ended, \G): a match found inside a run would be found from there too, and trying every
# position of a long word (or of a line of Chinese, all \w) costs the square of its length.
_MASK = regex.compile(
    r"(?:https?://|www\.|(?:(?<![a-zA-Z0-9-])|\G)[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)+/)\S*?(?=[.,;:!?)\]\"'»”’]*(?:\s|$))"
    r"|(?:(?<![\w.+-])|\G)[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
)
# Sentence punctuation, then any closing quotes/brackets (German closes with “ and ‘).
_TERMINAL = regex.compile(r"[.!?…。！？؟।॥۔‼⁇⁈⁉︒﹒．｡][\"'”’“‘»«›‹」』）)\]\s]*$")
_ABBREVIATIONS = frozenset(
    s.casefold()
    for s in (
        "Mr.", "Mrs.", "Ms.", "Dr.", "Dra.", "Prof.", "Profa.", "Sr.", "Sra.", "Srta.", "Jr.", "St.", "Mt.",
        "Gen.", "Gov.", "Sen.", "Rep.", "Lt.", "Col.", "Capt.", "Sgt.", "Rev.", "Hon.", "Mme.", "Mlle.", "Mgr.",
        "Hr.", "Hrn.", "Dipl.", "Ing.", "Exmo.", "Exma.", "Dª.", "Sto.", "Sta.",
        "e.g.", "i.e.", "cf.", "vs.", "approx.", "ca.", "z.B.", "d.h.", "u.a.", "bzw.", "ggf.", "usw.",
        "p.ex.", "pp.", "vol.", "nº.", "n.º", "av.", "Abs.",
    )
)
_CJK = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\u3000-\u303f\uff00-\uffef]")
_KATAKANA = regex.compile(r"[\p{Katakana}ー]")
# Kinsoku: characters a line (here: a cut-off text) may not start with / end with.
_NO_START = frozenset("、。，．！？）」』】〕〉》〙〗ー々ゝゞぁぃぅぇぉっゃゅょゎ"
                      "ァィゥェォッャュョヮヵヶ・：；)]},.!?:;%")
_NO_END = frozenset("（「『【〔〈《〘〖([{")


# Paragraphs up to this long are segmented whole (as they always were); longer ones a chunk at a time.
CHUNK = 4096
# Exactly the characters str.isspace() accepts (a test checks it), for scanning with a compiled pattern.
_SPACE_CHARS = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_BEFORE_SPACE = re.compile(f"(?<=[^{_SPACE_CHARS}])(?=[{_SPACE_CHARS}])")
_LAST_SPACES = re.compile(f"[{_SPACE_CHARS}]+(?=[^{_SPACE_CHARS}]*$)")
_GRAPHEME = regex.compile(r"\X")


@dataclass(frozen=True)
class Sentence:
    """One sentence, stripped; `joiner` goes before it when it follows another in the same post.

    `open`: this is only a piece of a sentence longer than a chunk, and the next piece continues it
    (after its own joiner: the space that was there, or "" when the cut fell between two characters)."""

    text: str
    joiner: str  # "" (first; CJK), the space between sentences as written, or "\n\n" (new paragraph)
    open: bool = False


def one_line(text: str) -> str:
    """`text` on one line: newlines, tabs and runs of whitespace become one space; a single space stays as
    written (a Japanese title's ideographic space U+3000 is part of the title)."""
    return str(_SPACES.sub(" ", text)).strip()


def paragraphs(text: str) -> list[str]:
    """The paragraphs of `text` (blank-line separated), each on one line (`one_line`)."""
    out = []
    for para in _PARAGRAPH_BREAK.split(text):
        para = one_line(para)
        if para:
            out.append(para)
    return out


def pysbd_language(language: str | None, sample: str = "") -> str:
    """The pysbd rule set for a BCP-47 tag; guessed from the script of `sample` when the tag is missing."""
    if language:
        base = language.replace("_", "-").split("-")[0].lower()
        base = _LANGUAGE_FALLBACK.get(base, base)
        if base in _PYSBD_LANGUAGES:
            return base
    head = sample[:400]
    if regex.search(r"[\p{Hiragana}\p{Katakana}]", head):
        return "ja"
    if regex.search(r"\p{Han}", head):
        return "zh"
    if regex.search(r"\p{Arabic}", head):
        return "ar"
    if regex.search(r"\p{Devanagari}", head):
        return "hi"
    return "en"


def split_sentences(text: str, language: str | None = None) -> tuple[Sentence, ...]:
    """The sentences of `text` in order; paragraph breaks are kept as "\\n\\n" joiners."""
    return tuple(s for para in split_paragraphs(text, language) for s in para.sentences)


class Paragraph:
    """A paragraph of a body, split into sentences only when asked and only as far as asked: most
    paragraphs go into a post whole, and pysbd costs several microseconds per character."""

    def __init__(self, text: str, joiner: str, language: str) -> None:
        self.text = text  # on one line (`one_line`)
        self.joiner = joiner  # "" for the first paragraph, else "\n\n"
        self._language = language
        # Pieces found so far, shared by every reader (each platform packs the same body).
        self._pieces: list[Sentence] = []
        self._source: Iterator[Sentence] | None = None

    @property
    def sentences(self) -> tuple[Sentence, ...]:
        """All the paragraph's sentences (open pieces joined); the first carries the paragraph's
        joiner. Joined with their joiners, they give back `text` exactly."""
        out: list[Sentence] = []
        for piece in self.iter_sentences():
            if out and out[-1].open:
                last = out[-1]
                out[-1] = Sentence(last.text + piece.joiner + piece.text, last.joiner, piece.open)
            else:
                out.append(piece)
        return tuple(out)

    def iter_sentences(self) -> Iterator[Sentence]:
        """The paragraph's sentences in order, segmented only as far as they are read; a sentence
        longer than a chunk comes in `open` pieces."""
        if self._source is None:
            self._source = _pieces(self.text, self.joiner, self._language)
        k = 0
        while True:
            if k == len(self._pieces):
                piece = next(self._source, None)
                if piece is None:
                    return
                self._pieces.append(piece)
            yield self._pieces[k]
            k += 1

    def with_text(self, text: str) -> Paragraph:
        """The same paragraph with its text rewritten (e.g. links shortened)."""
        return Paragraph(text, self.joiner, self._language)

    def __repr__(self) -> str:
        return f"Paragraph({self.text[:40]!r}…)"


def split_paragraphs(text: str, language: str | None = None) -> tuple[Paragraph, ...]:
    """The paragraphs of `text`, each ready to split into sentences by the rules of `language`."""
    lang = pysbd_language(language, text)
    return tuple(Paragraph(para, "\n\n" if i else "", lang) for i, para in enumerate(paragraphs(text)))


def _pieces(text: str, joiner: str, lang: str) -> Iterator[Sentence]:
    """Sentences of one paragraph, segmented `CHUNK` characters at a time (see the module docstring)."""
    pos = 0
    while True:
        end = pos + CHUNK
        if end >= len(text):
            for k, (sentence, sep) in enumerate(_segment(text[pos:], lang)):
                yield Sentence(sentence, joiner if k == 0 else sep)
            return
        chunk = text[pos:end]
        found = _segment(chunk, lang)
        if len(found) >= 2:  # the last sentence may run on past the chunk: segment it again with the next one
            for k, (sentence, sep) in enumerate(found[:-1]):
                yield Sentence(sentence, joiner if k == 0 else sep)
            pos += sum(len(sep) + len(sentence) for sentence, sep in found[:-1]) + len(found[-1][1])
            joiner = found[-1][1]
            continue
        # No sentence ends in a whole chunk: hand on its words as an open piece and go on after them.
        space = _LAST_SPACES.search(chunk)
        if space is not None and space.start() > 0:
            yield Sentence(chunk[: space.start()], joiner, open=True)
            pos, joiner = pos + space.end(), space.group()
            continue
        # Not even a space (a giant word, or a script written without spaces): cut between clusters.
        bounds = [m.start() for m in _GRAPHEME.finditer(chunk)]
        cluster = _GRAPHEME.match(text, pos)  # a chunk that is all one cluster: cut after the whole cluster
        cut = bounds[-1] if len(bounds) > 1 else (cluster.end() if cluster else len(text)) - pos
        if pos + cut >= len(text):
            yield Sentence(text[pos:], joiner)
            return
        yield Sentence(text[pos : pos + cut], joiner, open=True)
        pos, joiner = pos + cut, ""


_PER_THREAD = threading.local()


def _segmenter(lang: str) -> pysbd.Segmenter:
    """This thread's Segmenter for `lang`: one is never shared between threads, since it keeps the text it is
    working on in an attribute (`original_text`) and reads it back (plans are composed on a thread pool)."""
    cache: dict[str, pysbd.Segmenter] | None = getattr(_PER_THREAD, "segmenters", None)
    if cache is None:
        cache = _PER_THREAD.segmenters = {}
    if lang not in cache:
        cache[lang] = pysbd.Segmenter(language=lang, clean=False)
    return cache[lang]


def _segment(para: str, lang: str) -> list[tuple[str, str]]:
    """(sentence, whitespace before it) pairs for one paragraph; joined, they give back `para`."""
    masked = _MASK.sub(lambda m: "x" * len(m.group()), para)
    try:
        pieces = _segmenter(lang).segment(masked)
    except Exception:  # pysbd has crashed on odd input before; a whole paragraph is still a safe unit
        pieces = [masked]
    if "".join(pieces) != masked:  # pysbd altered the text: never trust its spans then
        pieces = _fallback_split(masked)
    # Map back onto the unmasked paragraph (masking kept lengths), then repair.
    merged: list[tuple[int, int]] = []
    pos = 0
    for piece in pieces:
        start, end = pos, pos + len(piece)
        pos = end
        if merged and _glue(para[merged[-1][0] : merged[-1][1]]):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    out = []
    previous_end = 0
    for start, end in merged:
        chunk = para[start:end]
        sentence = chunk.strip()
        if sentence:
            begin = start + (len(chunk) - len(chunk.lstrip()))
            out.append((sentence, para[previous_end:begin]))
            previous_end = begin + len(sentence)
    return out


def _glue(piece: str) -> bool:
    """Whether a pysbd piece must be joined to the one after it (it is not a real sentence end)."""
    stripped = piece.rstrip()
    if not _TERMINAL.search(stripped):
        return True
    last = stripped.rsplit(None, 1)[-1].lstrip("(\"'«“‘")
    return last.casefold() in _ABBREVIATIONS


def _fallback_split(para: str) -> list[str]:
    pieces = regex.split(r"(?<=[.!?。！？؟।][\"'”’»」』)]*\s*)(?=\S)", para)
    return [p for p in pieces if p]


def grapheme_boundaries(text: str) -> list[int]:
    """Every index where a grapheme cluster starts, plus len(text)."""
    bounds = [m.start() for m in regex.finditer(r"\X", text)]
    bounds.append(len(text))
    return bounds


def word_breaks(text: str, stop: int | None = None) -> list[int]:
    """Ascending indices i (0 < i <= len) where `text[:i]` ends with a whole word; with `stop`, only
    those up to `stop`, at a cost that depends on `stop`, not on the length of `text`."""
    if stop is not None and stop < len(text):
        # A break at i depends on text[i - 1], text[i] and the clusters before: text[:stop + 1] decides
        # every break up to stop (its own end, stop + 1, is not one of text's breaks and is dropped).
        return [i for i in word_breaks(text[: stop + 1]) if i <= stop]
    n = len(text)
    if n == 0:
        return []
    breaks = {m.start() for m in _BEFORE_SPACE.finditer(text)}
    cjk = [m.start() for m in _CJK.finditer(text)]
    if cjk:
        # Between two characters one of which is CJK (both not spaces), at a cluster boundary, unless kinsoku
        # forbids it or both are katakana (a katakana run is one, usually loan, word; next to a Latin word,
        # a break is that word's edge). Classes are looked up once per text, not once per pair.
        clusters = set(grapheme_boundaries(text))
        katakana = {m.start() for m in _KATAKANA.finditer(text)}
        for i in {j + d for j in cjk for d in (0, 1)}:
            if 0 < i < n and i in clusters:
                prev, cur = text[i - 1], text[i]
                if prev.isspace() or cur.isspace() or cur in _NO_START or prev in _NO_END:
                    continue
                if not (i - 1 in katakana and i in katakana):
                    breaks.add(i)
    breaks.discard(0)
    if not text[-1].isspace():
        breaks.add(n)
    return sorted(breaks)

