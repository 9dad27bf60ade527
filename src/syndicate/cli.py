"""The `syndicate` command: parse options, call one function, print the result.

Exit status: 0 success (including "nothing new" and deferred posts); 1 something
failed (a feed, a post, a platform's credentials) and was named; 2 a usage or
config error. Set SYNDICATE_RAISE_ERRORS=1 to see the full traceback.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from syndicate import __version__
from syndicate._terminal import printable, printable_json
from syndicate.errors import ConfigError, SyndicateError

EXIT_FAILED = 1
EXIT_CONFIG = 2


class _Group(click.Group):
    """Turns our own errors into one clear line and an exit status, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SyndicateError as exc:
            if os.environ.get("SYNDICATE_RAISE_ERRORS"):
                raise
            click.echo(printable(f"syndicate: {exc}"), err=True)
            ctx.exit(EXIT_CONFIG if isinstance(exc, ConfigError) else EXIT_FAILED)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="syndicate")
def cli() -> None:
    """Post your feed's dispatches to X, Bluesky and Mastodon: sized for each network, exactly once.

    \b
    Start with:
        syndicate init                 write a starter config
        syndicate dry-run              preview what the next run would post
        syndicate check                verify credentials (no posting)
        syndicate run                  post what is new (run it from cron)
    """


def _config_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--config", "config_path", metavar="PATH", envvar="SYNDICATE_CONFIG", show_envvar=True,
        help="Config file. Default: ./syndicate.toml, then the user config directory.",
    )(f)


def _settings(config_path: str | None) -> Any:
    from syndicate.config import find_config, load_config

    return load_config(find_config(config_path))


@cli.command()
@click.option("--path", "path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write it. Default: the user config directory.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(path: Path | None, force: bool) -> None:
    """Write a starter config file, commented line by line."""
    from importlib.resources import files

    from syndicate.config import default_config_path

    target = path or default_config_path()
    if target.exists() and not force:
        raise click.ClickException(f"{target} already exists (use --force to overwrite)")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(files("syndicate").joinpath("config.example.toml").read_text(encoding="utf-8"),
                      encoding="utf-8")
    click.echo(f"Wrote {target}. Edit it, then try `syndicate dry-run --config {target}`.")


@cli.command("dry-run")
@_config_option
@click.option("--feed", "feed_url", metavar="URL_OR_PATH",
              help="Preview one feed without a config (all three platforms, default settings).")
@click.option("--all", "show_all", is_flag=True, help="Preview every entry in the feeds, ignoring state.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format. The JSON schema is in the README.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write a self-contained HTML preview page here.")
@click.option("--open", "open_browser", is_flag=True, help="Open the HTML preview in the default browser.")
@click.option("--no-cards", is_flag=True, help="Don't fetch article pages for Bluesky link cards.")
def dry_run(config_path: str | None, feed_url: str | None, show_all: bool, fmt: str, html_path: Path | None,
            open_browser: bool, no_cards: bool) -> None:
    """Show what the next `run` would post. Writes nothing, sends nothing.

    \b
    Examples:
        syndicate dry-run
        syndicate dry-run --feed https://example.org/feed.xml --all
        syndicate dry-run --format json | jq '.dispatches[].platforms.x'
        syndicate dry-run --html preview.html --open
    """
    if feed_url:
        from syndicate.config import settings_for_feed

        settings = settings_for_feed(feed_url)
    else:
        settings = _settings(config_path)
    from syndicate.commands.dryrun import dry_run_plan

    plan, errors = dry_run_plan(settings, show_all=show_all, fetch_cards=not no_cards)
    for err in errors:
        click.echo(printable(f"syndicate: feed {err}"), err=True)
    if fmt == "json":
        click.echo(printable_json(json.dumps(plan, ensure_ascii=False, indent=2)))
    else:
        from syndicate.preview.text import render_text

        click.echo(render_text(plan, color=sys.stdout.isatty()), nl=False)
        from syndicate.commands.dryrun import correction_lines, retraction_lines

        for line in retraction_lines(plan) + correction_lines(plan):
            click.echo(printable(line))
    if html_path or open_browser:
        from syndicate.preview.html import write_html

        target = write_html(plan, html_path or Path("syndicate-preview.html"))
        click.echo(f"Preview written to {target}", err=True)
        if open_browser:
            click.launch(str(target.resolve()))
    if errors:
        sys.exit(EXIT_FAILED)


@cli.command()
@_config_option
@click.option("-v", "--verbose", count=True, help="More detail (repeat for debug logging).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object with everything that happened.")
def run(config_path: str | None, verbose: int, as_json: bool) -> None:
    """Fetch the feeds and post what is new. Silent when nothing happened (for cron)."""
    from syndicate.commands.run import run_once

    settings = _settings(config_path)
    _logging(verbose)
    report = run_once(settings)
    if as_json:
        click.echo(printable_json(json.dumps(report.to_json(), ensure_ascii=False, indent=2)))
    else:
        for line in report.lines(verbose=verbose):
            click.echo(printable(line), err=line.startswith("syndicate:"))
    sys.exit(report.exit_code)


@cli.command()
@_config_option
@click.option("--limit", default=20, show_default=True, help="How many recent dispatches to list.")
def status(config_path: str | None, limit: int) -> None:
    """Show the state file, the outbox, each feed's last error and recent dispatches."""
    from syndicate.commands.status import render_status

    click.echo(printable(render_status(_settings(config_path), limit=limit)), nl=False)


@cli.command()
@_config_option
def check(config_path: str | None) -> None:
    """Check the config and each enabled platform's credentials with one cheap read (no posting)."""
    from syndicate.commands.check import run_checks

    lines, ok = run_checks(_settings(config_path))
    for line in lines:
        click.echo(printable(line))
    if not ok:
        sys.exit(EXIT_FAILED)


@cli.command()
@_config_option
@click.argument("dispatch_id")
def release(config_path: str | None, dispatch_id: str) -> None:
    """Release a held dispatch so the next run posts it."""
    from syndicate.commands.status import release_dispatch

    click.echo(printable(_or_exit_2(lambda: release_dispatch(_settings(config_path), dispatch_id))))


@cli.command()
@_config_option
@click.argument("dispatch_id")
def retry(config_path: str | None, dispatch_id: str) -> None:
    """Re-queue a dispatch's failed (or held-unknown) parts for the next run."""
    from syndicate.commands.status import retry_dispatch

    click.echo(printable(_or_exit_2(lambda: retry_dispatch(_settings(config_path), dispatch_id))))


@cli.command()
@_config_option
@click.argument("id_or_url")
@click.option("--yes", is_flag=True, help="Retract without asking (needed when stdin is not a terminal).")
def retract(config_path: str | None, id_or_url: str, yes: bool) -> None:
    """Delete every post of a dispatch on every network, and never post it again.

    \b
    ID_OR_URL is the dispatch id or its article URL (see `syndicate status`):
        syndicate retract https://example.com/2026/pulled-story
        syndicate retract 'tag:example.com,2026:42' --yes
    Deletes that cannot go out now (rate limit, outage) stay queued for the next run.
    """
    from syndicate.commands.retract import Refused, confirm_or_refuse, find_target
    from syndicate.commands.retract import retract as retract_dispatch

    settings = _settings(config_path)
    target = _or_exit_2(lambda: find_target(settings, id_or_url))
    try:
        confirm_or_refuse(target, yes=yes, interactive=sys.stdin.isatty(),
                          ask=lambda q: click.confirm(printable(q), default=False))
    except Refused as exc:
        click.echo(printable(f"syndicate: {exc}"), err=True)
        sys.exit(EXIT_CONFIG if exc.unasked else EXIT_FAILED)
    report = retract_dispatch(settings, target)
    for line in report.lines(verbose=1):
        if not line.startswith("accepted "):
            click.echo(printable(line), err=line.startswith("syndicate:"))
    sys.exit(report.exit_code)


@cli.command("migrate-state")
@_config_option
@click.option("--to", "url", required=True, metavar="URL",
              help="The PostgreSQL database, postgresql://user@host:5432/db (password: SYNDICATE_STATE_PASSWORD).")
@click.option("--from", "source", type=click.Path(path_type=Path), metavar="PATH",
              help="The SQLite state file to copy. Default: the config's [state] path.")
def migrate_state(config_path: str | None, url: str, source: Path | None) -> None:
    """Copy an SQLite state file into PostgreSQL, for several hosts (idempotent; nothing is reposted)."""
    from syndicate.commands.migrate_state import migrate_state as copy_state
    from syndicate.config import check_state_url

    url = check_state_url(url, None, "--to")
    source = source or _settings(config_path).state_path
    for line in copy_state(source, url).lines(source, url):
        click.echo(printable(line))


@cli.command()
@_config_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format. The JSON schema is in the README.")
@click.option("--dispatch", "dispatch_id", metavar="ID", help="Only this dispatch (see `syndicate status`).")
@click.option("--cached", is_flag=True, help="Show what is stored; read nothing from the networks.")
@click.option("--replies", "with_replies", is_flag=True, help="Also show the newest replies under each post.")
def stats(config_path: str | None, fmt: str, dispatch_id: str | None, cached: bool, with_replies: bool) -> None:
    """Likes, reposts, replies and quotes of each dispatch on each account (a thread's posts summed).

    \b
    Reads every post sent within [stats] window_days and stores the reading as a snapshot
    (X only with [x] stats = true: its reads are billed). Examples:
        syndicate stats
        syndicate stats --replies --dispatch 'tag:example.com,2026:42'
        syndicate stats --cached --format json | jq '.dispatches[0].platforms'
    """
    from syndicate.commands.stats import gather, reply_notes

    settings = _settings(config_path)
    data, outcome = _or_exit_2(lambda: gather(settings, dispatch_id=dispatch_id, cached=cached,
                                              with_replies=with_replies))
    if outcome is not None:
        for line in outcome.errors:
            click.echo(printable(f"syndicate: {line}"), err=True)
        for line in outcome.notes:
            click.echo(printable(f"syndicate: {line}"), err=True)
    if with_replies:
        for line in reply_notes(settings):
            click.echo(printable(f"syndicate: {line}"), err=True)
    if fmt == "json":
        from syndicate.audience.snapshots import dump_json

        click.echo(printable_json(dump_json(data)))
    else:
        from syndicate.preview.stats_text import render_stats

        click.echo(render_stats(data, with_replies=with_replies), nl=False)
    if outcome is not None and outcome.errors:
        sys.exit(EXIT_FAILED)


@cli.command()
@_config_option
@click.option("--html", "html_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the page.")
@click.option("--open", "open_browser", is_flag=True, help="Open it in the default browser.")
def report(config_path: str | None, html_path: Path, open_browser: bool) -> None:
    """Write one self-contained HTML page: each dispatch's posts, numbers, replies, and charts.

    \b
    From what is stored (no network): run `syndicate stats` first, or let `syndicate run`
    take snapshots from cron ([stats] after).
        syndicate report --html report.html --open
    """
    from syndicate.commands.stats import report_data
    from syndicate.preview.report import write_report

    data = _or_exit_2(lambda: report_data(_settings(config_path)))
    target = write_report(data, html_path)
    click.echo(f"Report written to {target}", err=True)
    if open_browser:
        click.launch(str(target.resolve()))


_T = TypeVar("_T")


def _or_exit_2(action: Callable[[], _T]) -> _T:
    """An unknown dispatch id or a missing state file is a usage error (exit 2), like a bad config."""
    from syndicate.commands.status import UnknownDispatch

    try:
        return action()
    except UnknownDispatch as exc:
        click.echo(printable(f"syndicate: {exc}"), err=True)
        sys.exit(EXIT_CONFIG)


@cli.command()
@click.argument("text", required=False)
@click.option("--spoiler", "spoiler_text", default="", help="Mastodon content warning (counts toward its limit).")
@click.option("--jsonl", is_flag=True,
              help='Read {"text": ..., "spoiler_text": ...} lines on stdin; write one JSON line each.')
@click.option("--mastodon-limit", type=int, default=None, help="The instance's max_characters (default 500).")
def measure(text: str | None, spoiler_text: str, jsonl: bool, mastodon_limit: int | None) -> None:
    """Measure TEXT by each platform's own rule: X weighted length, Bluesky graphemes and bytes, Mastodon."""
    from syndicate.compose.length import measure_all
    from syndicate.model import Limits

    limits = Limits(max_characters=mastodon_limit) if mastodon_limit else None
    if jsonl:
        for n, line in enumerate(sys.stdin, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                result = measure_all(item["text"], item.get("spoiler_text") or "", mastodon_limits=limits)
            except (ValueError, KeyError, TypeError) as exc:
                raise click.ClickException(f"stdin line {n}: expected {{\"text\": ...}} JSON ({exc})") from None
            click.echo(printable_json(json.dumps(result, ensure_ascii=False)))
        return
    if text is None:
        raise click.UsageError("give TEXT, or --jsonl to read JSON lines on stdin")
    result = measure_all(text, spoiler_text, mastodon_limits=limits)
    for platform, m in result.items():
        extra = f", {m['bytes']} bytes" if "bytes" in m else ""
        verdict = "fits" if m["valid"] else "TOO LONG"
        click.echo(f"{platform:9} {m['length']:>5}/{m['limit']}{extra}  {verdict}")


def _logging(verbose: int) -> None:
    import logging

    if verbose >= 2:
        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")


def main() -> None:
    cli(prog_name="syndicate")

