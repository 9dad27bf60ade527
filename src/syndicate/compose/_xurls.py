"""URL detection as twitter-text 3.1.0 does it (extractUrlsWithIndices), for X and Mastodon.

X counts every URL twitter-text finds as 23, so we must find exactly the same
ones. The rules, as observed in twitter-text's behaviour:

* A URL is preceded by the start of the text or by a character that is not an
  ASCII letter or digit, '@', '＠', '$', '#', '＃' or U+FFFE/U+FEFF/U+FFFF.
* Then an optional ``http://`` / ``https://`` (any case), a domain made of
  labels (subdomain labels may contain '_' and '-', the last label only '-'),
  ending in a TLD from twitter-text's own lists (or ``xn--…`` punycode); a TLD
  from the lists must be followed by the end or a character other than an
  ASCII letter/digit, '@', '+' or '-'. Then an optional ``:port``, path (with
  one level of balanced parentheses, and only certain characters allowed at
  the end, so trailing punctuation stays outside) and ``?query``.
* Every label, as IDNA/punycode, must be 1–63 characters, and the whole URL
  at most 4096 (UTF-16 units, with ``https://`` assumed when absent).
* Without a scheme, a URL preceded by '-', '_', '.' or '/' is ignored, and only
  the ASCII part of the domain counts: the last ASCII domain found inside it is
  the URL, extended by the path (but not by a port or query without a path).
* ``t.co`` links with a scheme stop after the slug (and query); a slug over 40
  characters is not a link at all.

The character classes and TLD lists are data generated from the npm package
(`_twitter_data`); the matching logic is ours. Like twitter-text (a JavaScript
regex without the 'u' flag) we match on UTF-16 code units: a URL may begin
right after the first half of a surrogate pair, with the second half as the
start of its domain. Texts with characters beyond U+FFFF are therefore
matched as code units, and offsets are converted back to code points.
"""

from __future__ import annotations

import functools
import re
from array import array
from dataclasses import dataclass

from syndicate.compose._twitter_data import CASE_VARIANTS, CCTLDS, CLASSES, GTLDS

MAX_URL_LENGTH = 4096
MAX_TCO_SLUG_LENGTH = 40
MAX_LABEL_LENGTH = 63


@dataclass(frozen=True)
class UrlEntity:
    """One URL as twitter-text reports it, with code-point offsets.

    `url` is its text; for a scheme-less URL inside a longer non-ASCII domain it
    is the ASCII part plus the path, and may be shorter than end - start.
    `skip_end` is where twitter-text's length count resumes: start + the URL
    text's length, which differs from `end` in that same case.
    """

    start: int
    end: int
    url: str
    skip_end: int


def _char_class(name: str) -> str:
    parts = []
    for lo, hi in CLASSES[name]:
        parts.append(re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}")
    return "[" + "".join(parts) + "]"


def _ci(ch: str) -> str:
    """`ch` as JavaScript's case-insensitive (non-unicode) regex matches it."""
    variants = CASE_VARIANTS.get(ch, ch)
    return re.escape(ch) if len(variants) == 1 else "[" + "".join(re.escape(v) for v in variants) + "]"


def _tld_pattern(boundary: str) -> str:
    """The TLD alternatives as a trie, in twitter-text's order, each followed by `boundary`.

    Alternatives starting with different characters can never both match, so
    grouping them by first character (and so on down) keeps twitter-text's
    first-match choice while letting the engine reject a position quickly.
    """
    root: dict[str, object] = {}
    for index, tld in enumerate((*GTLDS, *CCTLDS)):
        node = root
        for ch in tld:
            key = _ci(ch)
            child = node.setdefault(key, {})
            assert isinstance(child, dict)
            node = child
        node.setdefault("", index)  # first listed wins if a TLD appears twice

    def first_index(node: dict[str, object]) -> int:
        return min(v if isinstance(v, int) else first_index(v) for v in node.values())  # type: ignore[arg-type]

    def pattern(node: dict[str, object]) -> str:
        items: list[tuple[int, str]] = []
        for key, child in node.items():
            if isinstance(child, int):
                items.append((child, boundary))
            else:
                assert isinstance(child, dict)
                items.append((first_index(child), key + pattern(child)))
        items.sort()
        alts = [p for _, p in items]
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return pattern(root)


@functools.cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    boundary = f"(?={_char_class('tldBoundary')}|\\Z)"
    tld = f"(?:{_tld_pattern(boundary)}|[xX][nN]--[\\-0-9a-zA-Z]+)"
    dc = _char_class("domain")
    # A label runs up to the next '.', starts and ends with a domain character;
    # it can never contain '.', so matching it possessively changes nothing.
    subdomain = f"(?:{dc}(?:[_\\-]*{dc})*+\\.)"
    domain_name = f"(?:{dc}(?:-*{dc})*+\\.)"
    g = _char_class("path")
    parens = f"\\((?:{g}+|(?:{g}*\\({g}+\\){g}*))\\)"
    path_end = f"(?:{_char_class('pathEnd')}|{parens})"
    path_segment = f"(?:(?:{g}*(?:{parens}{g}*)*{path_end})|(?:@{g}+/))"
    query = f"\\?{_char_class('query')}*{_char_class('queryEnd')}"
    protocol = "".join(_ci(c) for c in "http") + _ci("s") + "?://"
    url = re.compile(
        f"(?P<before>{_char_class('preceding')}|^)"
        f"(?P<url>(?P<protocol>{protocol})?(?P<domain>{subdomain}*{domain_name}{tld})"
        f"(?::[0-9]+)?(?P<path>/{path_segment}*)?(?:{query})?)"
    )
    ascii_label = _char_class("asciiDomain")
    ascii_domain = re.compile(f"(?:{ascii_label}+\\.)+{tld}")
    tco = re.compile(
        f"{protocol}{_ci('t')}\\.{_ci('c')}{_ci('o')}/([a-zA-Z0-9]+)(?:{query})?"
    )
    return url, ascii_domain, tco


def _to_units(text: str) -> str:
    """`text` with every character beyond U+FFFF split into its two surrogates."""
    if text.isascii() or max(text) <= "\uffff":
        return text
    wide = array("I", array("H", text.encode("utf-16-le", "surrogatepass")))
    return wide.tobytes().decode("utf-32-le", "surrogatepass")


def _from_units(units: str) -> str:
    """Inverse of _to_units: surrogate pairs joined again (a lone half stays alone)."""
    return units.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def _punycode_length(label: str) -> int:
    """Length of Node's punycode.toASCII(label) (2.x: '.', '。', '．', '｡' separate labels)."""
    total = 0
    parts = re.split("[.\u3002\uff0e\uff61]", label)
    for part in parts:
        if any(ord(c) > 0x7F for c in part):
            total += 4 + len(_from_units(part).encode("punycode"))
        else:
            total += len(part)
    return total + len(parts) - 1


def _valid_url(url: str, protocol: str, domain: str, ascii_domain: re.Pattern[str]) -> bool:
    if domain.startswith("xn--") and not ascii_domain.search(domain):
        return False
    for label in domain.split("."):
        n = _punycode_length(label)
        if n < 1 or n > MAX_LABEL_LENGTH:
            return False
    return len(protocol) + len(url) <= MAX_URL_LENGTH


def _unit_spans(units: str, without_protocol: bool) -> list[tuple[int, int, str]]:
    """(start, end, url) in UTF-16 code units, exactly as extractUrlsWithIndices."""
    url_re, ascii_domain, tco = _patterns()
    found: list[tuple[int, int, str]] = []
    for m in url_re.finditer(units):
        url, protocol, domain = m.group("url"), m.group("protocol"), m.group("domain")
        start, end = m.start("url"), m.end("url")
        if not _valid_url(url, protocol or "https://", domain, ascii_domain):
            continue
        if protocol:
            t = tco.match(url)
            if t:
                if len(t.group(1)) > MAX_TCO_SLUG_LENGTH:
                    continue
                url = t.group(0)
                end = start + len(url)
            found.append((start, end, url))
            continue
        if not without_protocol or m.group("before")[-1:] in ("-", "_", ".", "/"):
            continue
        last = -1
        ascii_end = 0
        for a in ascii_domain.finditer(domain):
            # twitter-text locates each ASCII domain with indexOf from the end of
            # the previous one, so a repeated string is found at its first place.
            ascii_start = domain.find(a.group(0), ascii_end)
            ascii_end = ascii_start + len(a.group(0))
            found.append((start + ascii_start, start + ascii_end, a.group(0)))
            last = len(found) - 1
        if last >= 0 and m.group("path"):
            s0, _, text0 = found[last]
            found[last] = (s0, end, text0 + url[len(domain) :])
    return found


def extract_urls(text: str, *, without_protocol: bool = True) -> list[UrlEntity]:
    """The URLs twitter-text finds in `text`, in order (Mastodon uses without_protocol=False)."""
    if "." not in text:
        return []
    units = _to_units(text)
    spans = _unit_spans(units, without_protocol)
    if units is text:
        return [UrlEntity(s, e, u, s + len(u)) for s, e, u in spans]

    def cp(i: int) -> int:
        prefix = _from_units(units[:i])
        # Stopping inside a pair leaves its first half outside (twitter-text then
        # weighs the second half as 2, like the whole character).
        return len(prefix) - (1 if prefix[-1:] and "\ud800" <= prefix[-1] <= "\udbff" else 0)

    return [UrlEntity(cp(s), cp(e), _from_units(u), cp(s + len(u))) for s, e, u in spans]
