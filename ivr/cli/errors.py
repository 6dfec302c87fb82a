"""The one way an `ivr` command fails: a `CliError`, which click shows once, at the edge, and exits with."""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Any, ClassVar

import click


class CliError(click.ClickException):
    """A command's failure as staff read it: the problems behind it, its answer or its sentence; the exit status is 1.

    Click's edge (`main` run as a command, or `CliRunner`) calls `show` and exits with `exit_code`, so a command only
    raises: it never prints an error and exits itself. (A wrong parameter stays click's own usage error, exit status
    2, shown with the usage line.) What is shown, in order:
    - `problems`: lines on standard error that explain the failure (the menus' file:line problems);
    - `answer`: the command's own last words on standard output, when they are the failure (validate's summary of a
      folder that does not load, find's "no unit", flush's events still waiting): scripts read them where they read
      a success;
    - `message`: one sentence on standard error as `Error: …`, saying what went wrong and what to do.
    """

    exit_code: ClassVar[int] = 1  # click declares the status per class: every command failure is a 1

    def __init__(self, message: str = "", *, problems: Iterable[str] = (), answer: str | None = None) -> None:
        super().__init__(message)
        self.problems = tuple(problems)
        self.answer = answer

    def show(self, file: IO[Any] | None = None) -> None:
        """Print the problems, the answer and the sentence, each where the command's user looks for it."""
        for problem in self.problems:
            click.echo(problem, err=True)
        if self.answer is not None:
            click.echo(self.answer)
        if self.message:
            super().show(file)
