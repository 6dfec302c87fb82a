"""The menus: `ivr validate`, `tree` and `prompts` read the folder; `ivr menus …` publishes it and its versions.

The one module of the command that speaks to the menus' lifecycle (publishing, published versions).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import click

from ivr.cli.common import (
    LANG_OPTION,
    MENUS_OPTION,
    count,
    explain_database_failure,
    load_or_exit,
    menus_dir_of,
    moment_or_now,
    open_store,
    staff_language,
)
from ivr.cli.errors import CliError
from ivr.core.calendar import coverage_warnings
from ivr.core.loader import check_hotline
from ivr.core.model import LANGS, Hotline, Lang, Menu
from ivr.core.wording import Lang as StaffLang
from ivr.core.wording import sentence
from ivr.publishing import PublishResult, UnknownVersion, folder_version, publish, read_menus, restore
from ivr.store.versions import NewerVersion, PublishedVersions, VersionInfo, menus_digest


@click.command()
@click.argument("folder", required=False, type=click.Path(file_okay=False))
@MENUS_OPTION
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Check calendar coverage as of this day.")
@LANG_OPTION
def validate(folder: str | None, menus_dir: str | None, today: datetime | None, staff_lang: str | None) -> None:
    """Check every menu file; print each problem with file:line, or a one-line summary.

    The folder may be given with --menus, like every other command, or as an argument.
    """
    if folder and menus_dir and folder != menus_dir:
        raise click.BadParameter(f"two folders are given ({folder} and --menus {menus_dir}); give one",
                                 param_hint="--menus")
    shown = menus_dir_of(menus_dir or folder)
    hotline, problems = check_hotline(shown)
    if hotline is not None:
        day: date = today.date() if today else moment_or_now(None).date()
        problems = problems + coverage_warnings(hotline, day)
    lang = staff_language(staff_lang)
    for problem in problems:
        click.echo(problem.render(lang), err=True)
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    if hotline is None:
        raise CliError(answer=sentence("summary.not_loaded", lang, {
            "folder": shown, "errors": errors, "errors_en": count(errors, "error"), "warnings": warnings,
            "warnings_en": count(warnings, "warning")}))
    click.echo(sentence("summary.ok", lang, {
        "folder": shown, "units": len(hotline.units), "units_en": count(len(hotline.units), "unit"),
        "menus": len(hotline.menus), "menus_en": count(len(hotline.menus), "menu"),
        "prompts": len(hotline.prompts), "prompts_en": count(len(hotline.prompts), "prompt"),
        "languages": len(hotline.languages), "warnings": warnings, "warnings_en": count(warnings, "warning")}))


@click.command()
@click.option("--lang", type=click.Choice(LANGS), default="zh", show_default=True, help="Language of the names.")
@MENUS_OPTION
def tree(lang: Lang, menus_dir: str | None) -> None:
    """Print the menu tree with keys, unit names and E.164 numbers."""
    hotline = load_or_exit(menus_dir)
    click.echo(f"{hotline.name(lang)} [{hotline.voice(lang).name}]")
    operator = hotline.operator
    click.echo(f"0  {operator.name(lang)}  {operator.phone}")
    _print_menu(hotline, hotline.menus[hotline.main_menu], lang, depth=0)


def _print_menu(hotline: Hotline, menu: Menu, lang: Lang, depth: int) -> None:
    indent = "   " * depth
    for option in menu.options:
        if option.menu:
            click.echo(f"{indent}{option.key}  {option.label(lang)}")
            _print_menu(hotline, hotline.menus[option.menu], lang, depth + 1)
        elif option.unit:
            unit = hotline.units[option.unit]
            line = unit.phone or f"{hotline.line_of(unit)} (main line)"
            click.echo(f"{indent}{option.key}  {option.label(lang)} → {unit.name(lang)}  {line}")


@click.command()
@MENUS_OPTION
def prompts(menus_dir: str | None) -> None:
    """List, per language, which prompts have recordings and which are spoken by the synthesized voice."""
    hotline = load_or_exit(menus_dir)
    for voice in hotline.languages:
        recorded = [p for p in hotline.prompts.values() if voice.lang in p.audio]
        click.echo(f"{voice.lang}: {len(recorded)} of {len(hotline.prompts)} prompts recorded")
        for prompt in hotline.prompts.values():
            file = prompt.audio.get(voice.lang)
            state = "recorded" if file else "spoken"
            click.echo(f"  {state:<9} {prompt.id:<17} {file or ''}".rstrip())


# Published menus versions ------------------------------------------------------------------------------------

versions_database_errors = explain_database_failure(
    "The database {url} cannot be reached ({reason}), so no menus version was read or published; check "
    "IVR_DATABASE_URL and that the database server runs (`ivr db upgrade` creates the tables).")


def _versions() -> PublishedVersions:
    return PublishedVersions(open_store())


def _author(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not value.strip():
        raise click.BadParameter("give the name of the person publishing, kept in the history", ctx, param)
    return value


AUTHOR_OPTION = click.option("--as", "author", required=True, callback=_author,
                             help="Your name, kept in the history.")


@click.group()
def menus() -> None:
    """Published menus versions: history, differences, restore, and publishing the menus folder."""


@menus.command("history")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, newest first.")
@versions_database_errors
def menus_history(as_json: bool) -> None:
    """List every published menus version, newest first: number, when, who and why."""
    found = _versions().history()
    if as_json:
        click.echo(json.dumps([{"id": v.id, "published_at": v.published_at.isoformat(), "author": v.author,
                                "note": v.note, "digest": v.digest} for v in found], ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("No menus version has been published yet; `ivr menus publish --as NAME` publishes the folder.")
    for version in found:
        click.echo(_version_line(version))


@menus.command("show")
@click.argument("number", type=int)
@click.option("--diff", "as_diff", is_flag=True, help="Print what changed since the version before it.")
@versions_database_errors
def menus_show(number: int, as_diff: bool) -> None:
    """Print version NUMBER's files as published, or with --diff what it changed."""
    versions = _versions()
    version = versions.get(number)
    if version is None:
        raise CliError(f"There is no menus version {number}; `ivr menus history` lists them.")
    click.echo(_version_line(version.info))
    if as_diff:
        click.echo(versions.diff(number) or "(no file changed)", nl=False)
        return
    for name, text in version.files.items():
        click.echo(f"==> {name} <==")
        click.echo(text, nl=not text.endswith("\n"))


@menus.command("publish")
@AUTHOR_OPTION
@click.option("--note", default="", help="One line: what changed and why.")
@MENUS_OPTION
@click.option("--base", type=click.IntRange(min=1), help="The version the folder's files were edited from "
              "(default: the version last written into the folder).")
@LANG_OPTION
@versions_database_errors
def menus_publish(author: str, note: str, menus_dir: str | None, base: int | None, staff_lang: str | None) -> None:
    """Check the menus folder as `ivr validate` does and publish it as the newest version for every server.

    Refused when a version newer than the one the folder was edited from has been published: it is never undone.
    """
    shown = menus_dir_of(menus_dir)
    versions = _versions()
    if base is None:
        base = _folder_base(versions, Path(shown))
    try:
        result = publish(versions, shown, {}, author, note, base=base)
    except NewerVersion as exc:
        raise CliError(_newer_said(exc, f"which {shown} was edited from; nothing was published and {shown} is as "
                                        f"you left it: make your edit on version {exc.newest.id} (`ivr menus show "
                                        f"{exc.newest.id}` prints its files), then publish again")) from exc
    _said(result, shown, staff_language(staff_lang))


def _folder_base(versions: PublishedVersions, folder: Path) -> int | None:
    """Return the version a folder was last written at, or None before any version; ask for --base otherwise."""
    noted = folder_version(folder)
    if noted is not None:
        return noted.id
    head = versions.head()
    if head is None:
        return None
    try:
        known = versions.number_of(menus_digest(read_menus(folder)))
    except (OSError, UnicodeDecodeError):
        known = None
    if known is not None:
        return known
    raise CliError(f"{folder} does not say which menus version it was edited from (no version was written into it "
                   f"here); give it as --base N (the newest is {head.id}; `ivr menus history` lists them), so that a "
                   "version published since is not undone.")


def _newer_said(refused: NewerVersion, made_from: str) -> str:
    newest = refused.newest
    made = f"version {refused.base}" if refused.base is not None else "no version"
    return (f"{newest.author} published version {newest.id} at {newest.published_at:%Y-%m-%d %H:%M}, after {made}, "
            f"{made_from}, so that version {newest.id} is not undone. `ivr menus show {newest.id} --diff` shows what "
            "it changed.")


@menus.command("restore")
@click.argument("number", type=int)
@AUTHOR_OPTION
@MENUS_OPTION
@click.option("--base", type=click.IntRange(min=1), help="Restore only if this is still the newest version "
              "(default: whichever is the newest).")
@LANG_OPTION
@versions_database_errors
def menus_restore(number: int, author: str, menus_dir: str | None, base: int | None, staff_lang: str | None) -> None:
    """Publish version NUMBER's files again as the newest version (checked like any publish)."""
    shown = menus_dir_of(menus_dir)
    versions = _versions()
    if base is None:
        head = versions.head()
        base = head.id if head is not None else None
    try:
        result = restore(versions, shown, number, author, base)
    except UnknownVersion as exc:
        raise CliError(str(exc)) from exc
    except NewerVersion as exc:
        raise CliError(_newer_said(exc, "the newest when this restore was asked for; nothing was restored")) from exc
    _said(result, shown, staff_language(staff_lang))


def _version_line(version: VersionInfo) -> str:
    return f"{version.id:>5}  {version.published_at:%Y-%m-%d %H:%M:%S}  {version.author}  {version.note}".rstrip()


def _said(result: PublishResult, shown: str, lang: StaffLang = "en") -> None:
    """Print a publish's problems (in the staff's language) and outcome; fail when it was refused."""
    for problem in result.problems:
        click.echo(problem.render(lang), err=True)
    if result.version is None:
        raise CliError(answer=sentence("summary.publish_refused", lang, {
            "folder": shown, "errors": len(result.errors), "errors_en": count(len(result.errors), "error")}))
    if not result.created:
        click.echo(f"{shown} is already the newest version, {result.version.id}; nothing new was published.")
        return
    click.echo(f"Published {shown} as version {result.version.id}; every server sharing this database serves it "
               "within 5 seconds.")


COMMANDS: tuple[click.Command, ...] = (validate, tree, prompts, menus)
