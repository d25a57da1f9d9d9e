"""`llmcost`: the typer app and the entry point that turns user errors into one line and exit code 2."""

from __future__ import annotations

import os
import sys
import warnings
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

try:  # typer >= 0.26 vendors click
    from typer._click import exceptions as click_exc
except ImportError:  # pragma: no cover - older typer uses click itself
    from click import exceptions as click_exc  # type: ignore[no-redef]

import importlib

from llmcost import render
from llmcost.errors import LlmcostError, warnings_to_stderr


class _PipeClosed(Exception):
    """stdout's reader went away during a command (a BrokenPipeError that click would turn into exit 1)."""


class _Group(TyperGroup):
    """The root command group: a closed stdout pipe leaves every command (subgroups too) as _PipeClosed."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # --help and --version print while parsing
        try:
            return super().parse_args(ctx, args)
        except BrokenPipeError as e:
            raise _PipeClosed from e

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError as e:
            raise _PipeClosed from e


COMMANDS: dict[str, tuple[str, str]] = {
    "compare": ("compare_cmd", "compare_command"),
    "breakeven": ("compare_cmd", "breakeven_command"),
    "pretrain": ("estimates", "pretrain"),
    "finetune": ("estimates", "finetune"),
    "serve": ("estimates", "serve"),
    "sweep": ("sweep_cmd", "sweep_command"),
    "sensitivity": ("sensitivity_cmd", "sensitivity_command"),
    "calibrate": ("calibrate_cmd", "calibrate_command"),
    "diff": ("diff_cmd", "diff_command"),
    "profiles": ("profiles_cmd", "app"),
}
"""Command name -> (module in llmcost.cli, attribute): a function, or a typer app for a command group."""


def build_app(only: str | None = None) -> typer.Typer:
    """The typer app with every command, or with only the one being run: a command's module (and what it
    imports) loads only when that command runs, which keeps `llmcost compare` from importing sweeps,
    calibration and the profile tools."""
    app = typer.Typer(name="llmcost", cls=_Group, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                      rich_markup_mode=None,
                      help="Total cost of ownership for LLMs: pre-train, fine-tune and serve on owned or rented GPUs vs cloud APIs.")
    app.callback()(_root)
    for name, (module, attr) in COMMANDS.items():
        if only is not None and name != only:
            continue
        target = getattr(importlib.import_module(f"llmcost.cli.{module}"), attr)
        if isinstance(target, typer.Typer):
            app.add_typer(target, name=name)
        else:
            app.command(name)(target)
    return app


def _command(argv: list[str]) -> str | None:
    """The command named on the command line, when there is exactly one known command word before any option."""
    first = next((a for a in argv if not a.startswith("-")), None)
    return first if first in COMMANDS and argv and argv[0] == first else None


def _version(value: bool) -> None:
    if value:
        from llmcost import __version__  # importlib.metadata only when asked

        sys.stdout.write(f"llmcost {__version__}\n")
        raise typer.Exit()


def _root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print the version and exit.")] = False) -> None:
    """llmcost: is it cheaper to own GPUs, rent them, or pay an API per token?"""


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; user mistakes print one line on stderr and return 2 (a failed gate returns 1).

    A reader that closes the pipe early (`llmcost compare -f csv | head -1`) ends the run quietly with 0;
    a full disk or a failing device on stdout is one line and 2. NumPy's floating-point warnings never
    reach stderr: a result that is not a finite number is refused where it is rendered."""
    try:
        rc = _run(argv)
        sys.stdout.flush()  # a closed pipe or a full disk shows here, not in Python's exit handler
        return rc
    except (BrokenPipeError, _PipeClosed):
        _silence_stdout()
        return 0
    except OSError as e:
        if e.errno not in render.WRITE_ERRORS:
            raise
        _silence_stdout()
        sys.stderr.write(f"llmcost: error: cannot write the output: {e.strerror or e}\n")
        return 2


def _run(argv: list[str] | None) -> int:
    """The command's exit code, with every error a user can cause turned into one line on stderr."""
    try:
        with warnings_to_stderr(), warnings.catch_warnings():  # implausible values: one `llmcost: warning:` line each
            warnings.simplefilter("ignore", RuntimeWarning)
            args = list(sys.argv[1:] if argv is None else argv)
            rc = build_app(_command(args))(args=args, prog_name="llmcost", standalone_mode=False)
    except LlmcostError as e:
        sys.stderr.write(f"llmcost: error: {_clear(str(e))}\n")
        return e.exit_code
    except typer.Exit as e:
        if e.exit_code == 130:  # typer turns Ctrl-C into Exit(130)
            sys.stderr.write("llmcost: interrupted\n")
        return int(e.exit_code or 0)
    except click_exc.NoArgsIsHelpError as e:
        if e.ctx is not None:
            sys.stdout.write(e.ctx.get_help() + "\n")
        return 0
    except click_exc.ClickException as e:
        ctx = getattr(e, "ctx", None)
        cmd = ctx.command_path.removeprefix("llmcost").strip() if ctx is not None else ""
        sys.stderr.write(f"llmcost: error: {_clear(e.format_message())} (see llmcost {cmd} --help)\n".replace("  ", " "))
        return 2
    except (typer.Abort, KeyboardInterrupt):
        sys.stderr.write("llmcost: interrupted\n")
        return 130
    except render.Terminated as e:
        sys.stderr.write(f"llmcost: stopped by {e.name}; no partial output file was left\n")
        return e.exit_code
    return rc if isinstance(rc, int) else 0


MAX_ERROR_CHARS = 1000
"""Longest error line: a message quoting a 100,000-digit number or a 5,000-character name keeps its start and its end."""


def _clear(message: str) -> str:
    """An error message as one printable line (no escape reaches the terminal) of at most MAX_ERROR_CHARS.

    >>> _clear("--set x: '" + "9" * 5000 + "' is too large (at most 1e+18)")[-40:]
    "9999999999' is too large (at most 1e+18)"
    >>> len(_clear("x" * 5000)) <= MAX_ERROR_CHARS
    True
    """
    line = render.printable(message)
    if len(line) <= MAX_ERROR_CHARS:
        return line
    return line[:MAX_ERROR_CHARS * 2 // 3] + " … " + line[-(MAX_ERROR_CHARS // 3 - 3):]


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that Python's flush at exit does not fail a second time."""
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError, AttributeError):  # replaced by a test's capture: nothing to flush at exit
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def run() -> None:
    sys.exit(main())
