"""XML entities in feed bytes: refuse the bombs, write out the rest, never load anything.

1. **Entity bombs.** feedparser keeps "safe-looking" `<!ENTITY>` declarations and
   its loose (non-XML) fallback parser expands them without any limit: a 160 KB
   feed with one 100 KB entity referenced 20,000 times took 49 s and 6 GB in our
   test. expat's own amplification guard only protects the strict pass. So
   `entity_bomb_reason` reads the DOCTYPE's internal subset before anything is
   parsed and refuses internal parameter entities, external general entities (XXE),
   entities that refer to other entities ("billion laughs"), and declarations whose
   expansion in this document would exceed `MAX_EXPANSION` ("quadratic blowup").
   We did not use defusedxml: it cannot be plugged into feedparser's SAX setup and
   would not cover the loose parser anyway.

2. **Named HTML entities under a DOCTYPE.** Real feeds start with an XHTML
   DOCTYPE, or declare XHTML's entity sets as external parameter entities, and
   then use `&eacute;`. Those declarations are accepted (never loaded: nothing
   external is ever read), and `expand_entities` writes the references out
   before parsing.
"""

from __future__ import annotations

import html.entities
import re
from collections import Counter

MAX_EXPANSION = 1024 * 1024  # characters that declared entities may add (or the doc's size, if larger)
_PREDEFINED = frozenset({"amp", "lt", "gt", "quot", "apos"})
_ENTITY_DECL = re.compile(
    r"""<!ENTITY\s+(%\s+)?([^\s"'%>]+)\s+(?:(SYSTEM|PUBLIC)\b|"([^"]*)"|'([^']*)')""", re.S
)
_ENTITY_REF = re.compile(r"&([A-Za-z_:][\w.:-]*);")
_DOCTYPE_HEAD = re.compile(r"""<!DOCTYPE(?:"[^"]*"|'[^']*'|[^"'\[>])*""")
_SUBSET_TOKEN = re.compile(r"""<!--.*?-->|"[^"]*"|'[^']*'|\]|[^"'\]<]+|<""", re.S)


# -- entity bombs ----------------------------------------------------------------------


def _as_text(data: bytes) -> str | None:
    """The document as text if it may declare entities, else None (the fast, common case)."""
    for bom, codec in ((b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"),
                       (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"),
                       (b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"),
                       (b"\x00<", "utf-16-be"), (b"<\x00", "utf-16-le")):
        if data.startswith(bom):
            text = data.decode(codec, errors="replace")
            return text if "<!ENTITY" in text else None
    return data.decode("latin-1") if b"<!ENTITY" in data else None


def _doctype(text: str) -> tuple[int, int, str | None] | None:
    """Where the DOCTYPE starts and ends, and its internal subset (if any); None without one."""
    pos = 0
    n = len(text)
    while pos < n:  # walk the prolog: BOM, whitespace, <?...?>, comments, then DOCTYPE or the root
        if text[pos] in "\ufeff \t\r\n":
            pos += 1
        elif text.startswith("<?", pos):
            end = text.find("?>", pos)
            pos = n if end < 0 else end + 2
        elif text.startswith("<!--", pos):
            end = text.find("-->", pos)
            pos = n if end < 0 else end + 3
        elif text.startswith("<!DOCTYPE", pos):
            doctype_start = pos
            m = _DOCTYPE_HEAD.match(text, pos)
            assert m is not None  # the pattern matches "<!DOCTYPE" at least
            pos = m.end()
            if not text.startswith("[", pos):
                end = text.find(">", pos)
                return doctype_start, (n if end < 0 else end + 1), None
            start = pos + 1
            for tok in _SUBSET_TOKEN.finditer(text, start):
                if tok.group() == "]":
                    end = text.find(">", tok.end())
                    return doctype_start, (n if end < 0 else end + 1), text[start:tok.start()]
            return doctype_start, n, text[start:]
        else:
            return None
    return None


def entity_bomb_reason(data: bytes) -> str | None:
    """Why this document's entity declarations are unsafe to expand, or None if they are fine."""
    text = _as_text(data)
    if text is None:
        return None
    found = _doctype(text)
    if found is None:
        return None
    _, body_start, subset = found
    if subset is None:
        return None
    values: dict[str, str] = {}
    declared = {m.group(2) for m in _ENTITY_DECL.finditer(subset) if not m.group(1)}
    for m in _ENTITY_DECL.finditer(subset):
        parameter, name, external = m.group(1), m.group(2), m.group(3)
        value = m.group(4) if m.group(4) is not None else (m.group(5) or "")
        if parameter and external:
            continue  # an external entity set (XHTML's Latin-1, say): declared, never loaded
        if parameter:
            return f"declares an XML parameter entity (%{name}): refusing a possible entity bomb"
        if external:
            return f"declares an external XML entity ({name}): refusing to read other resources"
        # A standard HTML name (not redeclared here) stands for one or two characters.
        nested = [r for r in _ENTITY_REF.findall(value)
                  if r not in _PREDEFINED and (r in declared or f"{r};" not in html.entities.html5)]
        if nested:
            return (f"declares XML entity {name!r} that expands into other entities "
                    f"(&{nested[0]};): refusing a 'billion laughs' entity bomb")
        values[name] = value
    if not values:
        return None
    names = "|".join(re.escape(k) for k in values)
    counts = Counter(re.findall(rf"&({names});", text[body_start:]))
    expansion = sum(len(values[k]) * c for k, c in counts.items())
    limit = max(MAX_EXPANSION, len(data))
    if expansion > limit:
        return (f"its XML entities would expand to {expansion:,} characters (limit {limit:,}): "
                "refusing an entity bomb")
    return None


# -- named HTML entities under a DOCTYPE ---------------------------------------------

_REF_OR_VERBATIM = re.compile(r"<!\[CDATA\[.*?\]\]>|<!--.*?-->|&([A-Za-z][A-Za-z0-9]*);", re.S)


def expand_entities(data: bytes) -> bytes:
    """A document with a DOCTYPE: its entity references written out, the DOCTYPE dropped.

    A DOCTYPE that names an external DTD or entity set (XHTML's, say) makes expat
    skip the references it cannot resolve without a word ("Caf&eacute;" becomes
    "Caf"), and we never load anything external. The HTML/XHTML names are
    standard: they become character references (html.entities' table). The
    document's own internal entities are replaced by their values (feedparser
    would drop those whose value holds a reference); call this only on a document
    that `entity_bomb_reason` passed, which bounds what they expand to. The five
    XML names, unknown names, and anything in CDATA sections or comments stay.
    """
    if b"<!DOCTYPE" not in data:
        return data
    text = data.decode("latin-1")  # the document is UTF-8 here; latin-1 keeps byte offsets
    found = _doctype(text)
    if found is None:
        return data
    doctype_start, body_start, subset = found
    declared: dict[str, str] = {}
    for m in _ENTITY_DECL.finditer(subset or ""):
        if not m.group(1) and not m.group(3):
            declared.setdefault(m.group(2), m.group(4) if m.group(4) is not None else m.group(5) or "")

    def numeric(m: re.Match[str]) -> str:
        name = m.group(1)
        value = html.entities.html5.get(f"{name};") if name and name not in _PREDEFINED else None
        return "".join(f"&#{ord(c)};" for c in value) if value else m.group(0)

    # Values may use HTML names but never each other's names (the bomb check refuses that).
    values = {name: _REF_OR_VERBATIM.sub(numeric, value) for name, value in declared.items()}

    def written_out(m: re.Match[str]) -> str:
        name = m.group(1)
        return values[name] if name in values else numeric(m)

    # The DOCTYPE has nothing left to declare. Dropped, so that a reference to an
    # unknown name fails the strict parse and the loose one keeps it as text
    # (under an external DTD, expat would silently skip it).
    body = _REF_OR_VERBATIM.sub(written_out, text[body_start:])
    return (text[:doctype_start] + body).encode("latin-1")
