"""The teaser template language: Python `str.format` fields, checked before use."""

from __future__ import annotations

import string

FIELDS = ("title", "summary", "url", "hashtags", "author", "feed")


def validate_template(template: object) -> str | None:
    """Return a message saying what is wrong with `template`, or None when it is usable."""
    if not isinstance(template, str):
        return f"expected a string, got {template!r}"
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        return f"not a valid template ({exc}); write fields like {{title}}, and {{{{ for a literal brace"
    for _, field, spec, conversion in parsed:
        if field is None:
            continue
        if field not in FIELDS:
            return f"unknown field {{{field}}} in the template; available: " + ", ".join(
                "{" + f + "}" for f in FIELDS)
        if spec or conversion:
            return f"{{{field}}}: format specs and conversions are not supported (the composer sizes fields itself)"
    if "{url}" not in template:
        return "the template must contain {url}: every post links to its dispatch"
    return None
