"""The `ivr` command: validate and explore the menus, check office hours, run and call the hotline."""

from __future__ import annotations

from pathlib import Path

import click

from ivr.core.loader import check_hotline, load_hotline
from ivr.core.model import LANGS, Hotline, Lang, Menu
from ivr.core.problems import MenuError
from ivr.paths import default_menus_dir

MENUS_OPTION_HELP = "The menus folder (default: IVR_MENUS_DIR, else the bundled menus/)."


def _menus_dir(value: str | None) -> str:
    if value:
        return value
    bundled = default_menus_dir()
    try:
        return str(bundled.relative_to(Path.cwd()))
    except ValueError:
        return str(bundled)


def load_or_exit(menus_dir: str | None) -> Hotline:
    """Load the menus for a command, or print every error and exit 1."""
    try:
        return load_hotline(_menus_dir(menus_dir))
    except MenuError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise SystemExit(1) from exc


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Tumen hotline IVR: menus, office hours, the webhook service and a call simulator."""


@main.command()
@click.argument("menus_dir", required=False, type=click.Path(file_okay=False))
def validate(menus_dir: str | None) -> None:
    """Check every menu file; print each problem with file:line, or a one-line summary."""
    shown = _menus_dir(menus_dir)
    hotline, problems = check_hotline(shown)
    for problem in problems:
        click.echo(str(problem), err=True)
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    if hotline is None:
        click.echo(f"{shown}: {_count(errors, 'error')}, {_count(warnings, 'warning')}; "
                   "the menus were not loaded, fix the errors above.")
        raise SystemExit(1)
    click.echo(
        f"{shown}: OK, {_count(len(hotline.units), 'unit')}, {_count(len(hotline.menus), 'menu')}, "
        f"{_count(len(hotline.prompts), 'prompt')} in {len(hotline.languages)} languages; "
        f"{_count(warnings, 'warning')}."
    )


@main.command()
@click.option("--lang", type=click.Choice(LANGS), default="zh", show_default=True, help="Language of the names.")
@click.option("--menus", "menus_dir", type=click.Path(file_okay=False), help=MENUS_OPTION_HELP)
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


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
