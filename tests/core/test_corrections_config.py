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


ACCOUNTS = GOOD + """
[corrections]
updates = "reply"
template = "Correction: {title}\\n{url}"

[corrections.mastodon]
updates = "edit"

[[accounts]]
name = "ana-masto"
platform = "mastodon"
instance = "https://ana.example"
[accounts.corrections]
updates = "off"

[[accounts]]
name = "desk-masto"
platform = "mastodon"
instance = "https://desk.example"

[[accounts]]
name = "ana-x"
platform = "x"
[accounts.corrections]
template = "Fixed: {title}\\n{url}"
"""


def test_per_account_override_on_top_of_network_and_global(tmp_path: Path) -> None:
    s = load_config(write(tmp_path, ACCOUNTS))
    got = {a.name: (a.corrections.updates, a.corrections.template) for a in s.all_accounts()}
    assert got == {
        # the default accounts keep [corrections] with [corrections.<platform>]
        "x": ("reply", "Correction: {title}\n{url}"),
        "bluesky": ("reply", "Correction: {title}\n{url}"),
        "mastodon": ("edit", "Correction: {title}\n{url}"),
        # an account's own table overrides its network's; what it leaves out comes from there
        "ana-masto": ("off", "Correction: {title}\n{url}"),
        "desk-masto": ("edit", "Correction: {title}\n{url}"),
        "ana-x": ("reply", "Fixed: {title}\n{url}"),
    }


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ('updates = "edits"',
         "accounts[0] (ana-masto).corrections.updates: expected one of 'off', 'reply', 'edit', got 'edits' "
         "(did you mean 'edit'?)"),
        ('template = "Update: {title}"', "accounts[0] (ana-masto).corrections.template: the template must contain {url}"),
        ("retract_when_gone = true",
         "accounts[0] (ana-masto).corrections.retract_when_gone: retract_when_gone is set for all networks and "
         "accounts, in [corrections] itself"),
        ("replies = true", "accounts[0] (ana-masto).corrections.replies: unknown key"),
    ],
)
def test_per_account_mistakes_are_named(tmp_path: Path, table: str, expected: str) -> None:
    path = write(tmp_path, GOOD + '\n[[accounts]]\nname = "ana-masto"\nplatform = "mastodon"\n'
                                  f'instance = "https://ana.example"\n[accounts.corrections]\n{table}\n')
    code, output = run_check(path)
    assert code == 2, output
    assert str(path) in output
    assert expected in output
    assert "Traceback" not in output


def test_per_account_corrections_must_be_a_table(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + '\n[[accounts]]\nname = "ana-masto"\nplatform = "mastodon"\n'
                                  'instance = "https://ana.example"\ncorrections = "reply"\n')
    code, output = run_check(path)
    assert code == 2, output
    assert "accounts[0] (ana-masto).corrections: expected a table [accounts[0] (ana-masto).corrections]" in output
