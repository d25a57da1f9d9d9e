"""`llmcost`: the typer app and the entry point that turns user errors into one line and exit code 2."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

try:  # typer >= 0.26 vendors click
    from typer._click import exceptions as click_exc
except ImportError:  # pragma: no cover - older typer uses click itself
    from click import exceptions as click_exc  # type: ignore[no-redef]

from llmcost import __version__
from llmcost.cli import calibrate_cmd, compare_cmd, estimates, profiles_cmd, sensitivity_cmd, sweep_cmd
from llmcost.errors import LlmcostError

app = typer.Typer(
    name="llmcost",
    help="Total cost of ownership for LLMs: pre-train, fine-tune and serve on owned or rented GPUs vs cloud APIs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(profiles_cmd.app, name="profiles")
app.command("compare")(compare_cmd.compare_command)
app.command("breakeven")(compare_cmd.breakeven_command)
app.command("pretrain")(estimates.pretrain)
app.command("finetune")(estimates.finetune)
app.command("serve")(estimates.serve)
app.command("sweep")(sweep_cmd.sweep_command)
app.command("sensitivity")(sensitivity_cmd.sensitivity_command)
app.command("calibrate")(calibrate_cmd.calibrate_command)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"llmcost {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print the version and exit.")] = False) -> None:
    """llmcost: is it cheaper to own GPUs, rent them, or pay an API per token?"""


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; user mistakes print one line on stderr and return 2 (a failed gate returns 1)."""
    try:
        rc = app(args=argv, prog_name="llmcost", standalone_mode=False)
    except LlmcostError as e:
        sys.stderr.write(f"llmcost: error: {e}\n")
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
        sys.stderr.write(f"llmcost: error: {e.format_message()} (see llmcost {cmd} --help)\n".replace("  ", " "))
        return 2
    except (typer.Abort, KeyboardInterrupt):
        sys.stderr.write("llmcost: interrupted\n")
        return 130
    except BrokenPipeError:
        return 0
    return rc if isinstance(rc, int) else 0


def run() -> None:
    sys.exit(main())
