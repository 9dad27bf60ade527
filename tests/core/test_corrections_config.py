"""`[corrections]`: defaults, per-network overrides, and mistakes named with file and key."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_config import GOOD, run_check, write

from syndicate.config import load_config


def test_defaults_and_per_network_override(tmp_path: Path) -> None:
    s = load_config(write(tmp_path, GOOD))
    assert s.corrections_for("mastodon").updates == "off"
    assert s.corrections_for("x").template == "Update: {title}\n{url}"
    assert not s.retract_when_gone
    s = load_config(write(tmp_path, GOOD + '\n[corrections]\nupdates = "reply"\nretract_when_gone = true\n'
                                           '[corrections.mastodon]\nupdates = "edit"\n'))
    assert (s.corrections_for("x").updates, s.corrections_for("mastodon").updates) == ("reply", "edit")
    assert s.retract_when_gone


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('\n[corrections]\nupdates = "edits"\n',
         "corrections.updates: expected one of 'off', 'reply', 'edit', got 'edits' (did you mean 'edit'?)"),
        ('\n[corrections]\ntemplate = "Update: {title}"\n', "corrections.template: the template must contain {url}"),
        ('\n[corrections]\ntemplate = "Update: {headline} {url}"\n', "corrections.template: unknown field {headline}"),
        ('\n[corrections.x]\nupdates = "sometimes"\n', "corrections.x.updates: expected one of"),
        ("\n[corrections.x]\nretract_when_gone = true\n", "corrections.x.retract_when_gone: retract_when_gone is set"),
        ("\n[corrections]\nretract_when_gone = 1\n", "corrections.retract_when_gone: expected true or false"),
        ("\n[corrections]\nreplies = true\n", "corrections.replies: unknown key"),
    ],
)
def test_corrections_mistakes_are_named(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, GOOD + text)
    code, output = run_check(path)
    assert code == 2, output
    assert str(path) in output
    assert expected in output
    assert "Traceback" not in output
