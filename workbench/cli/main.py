"""`workbench` entry point: a click group whose commands are imported only when needed.

Each command is declared (name, flags, help) in its own module under `workbench/cli/`, which
imports click alone; its body lives in `workbench/cli/actions/` and is imported only when the
command runs (`lazy_command.LazyCommand`). `COMMANDS` maps each name to its declaration module
and short help: `workbench --help` imports no command module, `workbench run --help` imports
only run's declaration, so both stay instant (bench/cli_startup.py).
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import os
import sys
from typing import Any

import click

from workbench.errors import WorkbenchError
from workbench.run.interrupts import EXIT_SIGINT, EXIT_SIGTERM, install_sigterm, interrupted_exit_code
from workbench.version import __version__

COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("workbench.cli.run", "Run suites: prompts x providers x tests, results to SQLite."),
    "runs": ("workbench.cli.runs", "List runs, or show one run's summary."),
    "compare": ("workbench.cli.compare", "Compare two runs (BASE HEAD) and gate on regressions."),
    "plan": ("workbench.cli.plan", "How many tests x repeats a verdict needs, and what they cost."),
    "diff": ("workbench.cli.diff", "Diff two versions of a prompt family: text, tokens and results."),
    "recommend": ("workbench.cli.recommend", "Cheapest acceptable prompt/variant/model pair and cost projection."),
    "models": ("workbench.cli.models", "Known models with prices, context windows and local models."),
    "plugins": ("workbench.cli.plugins", "Installed plugins and the providers, assertions, compressors they add."),
    "cache": ("workbench.cli.cache", "Inspect or clear the response cache."),
    "merge": ("workbench.cli.merge", "Merge shard databases or JSON outputs into one run."),
    "ui": ("workbench.cli.ui", "Serve the Streamlit UI on 127.0.0.1."),
    "compat": ("workbench.cli.compat", "Check agreement with stored promptfoo outputs."),
    "route": ("workbench.cli.route", "Train, evaluate and apply a cost router."),
    "failures": ("workbench.cli.failures", "Cluster failing results into failure modes."),
    "optimize": ("workbench.cli.optimize", "Write the cheapest version of a prompt that still passes its suite."),
    "batch": ("workbench.cli.batch", "Status of provider batch jobs, or collect finished ones."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name, (mod, _) in COMMANDS.items() if importlib.util.find_spec(mod) is not None)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        try:
            module = importlib.import_module(entry[0])
        except ModuleNotFoundError as e:
            if e.name == entry[0]:
                return None
            raise
        cmd = getattr(module, "command", None)
        return cmd if isinstance(cmd, click.Command) else None

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """An unknown command names the closest one: `No such command 'recomend'. Did you mean 'recommend'?`"""
        name = click.utils.make_str(args[0]) if args else ""
        if args and name not in COMMANDS and not name.startswith("-"):
            close = difflib.get_close_matches(name, self.list_commands(ctx), n=1, cutoff=0.6)
            hint = f" Did you mean '{close[0]}'?" if close else f" Commands: {', '.join(self.list_commands(ctx))}."
            raise click.UsageError(f"No such command '{name}'.{hint}", ctx)
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def main(
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """click's standalone mode, except that a usage error is one line (`Error: ...`, exit 2):
        click prints `Usage:`, a `Try ... for help` line, a blank line, then the error."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as e:
            click.echo(f"Error: {one_line_usage_error(e)}", err=True)
            sys.exit(e.exit_code)
        except click.ClickException as e:
            e.show()
            sys.exit(e.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM outside a run (start-up, loading): one line
            click.echo("Interrupted.", err=True)
            sys.exit(interrupted_exit_code())
        except WorkbenchError as e:
            if os.environ.get("WORKBENCH_DEBUG") == "1":
                raise
            click.echo(f"Error: {one_line(str(e))}", err=True)  # one line whatever the message holds
            sys.exit(e.exit_code)


def one_line(text: str) -> str:
    """Newlines and other control characters become spaces: an error is always one line."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def one_line_usage_error(e: click.UsageError) -> str:
    """The error with the command named (`run: Invalid value for '--max-cost': ...`), on one line."""
    message = one_line(e.format_message())
    ctx = e.ctx
    if ctx is not None and ctx.info_name and ctx.parent is not None:
        return f"{ctx.info_name}: {message}"
    return message


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="workbench")
def cli() -> None:
    """workbench: prompt regression and optimization.

    Runs versioned prompts across models against promptfoo-compatible suites, stores every
    result in SQLite, and tells you the cheapest model/prompt pair that is still good enough.
    """


def _caused_by_interrupt(e: BaseException) -> bool:
    seen: set[int] = set()
    cur: BaseException | None = e
    while cur is not None and id(cur) not in seen:
        if isinstance(cur, KeyboardInterrupt):
            return True
        seen.add(id(cur))
        cur = cur.__cause__ or cur.__context__
    return False


def main() -> None:
    try:
        install_sigterm()  # inside the try: a Ctrl-C right after it is one line too
        cli.main(standalone_mode=True)
    except SystemExit as e:
        if e.code in (EXIT_SIGINT, EXIT_SIGTERM):  # interrupted: results are flushed; never wait on a
            sys.stdout.flush()  # worker thread still stuck in a provider call or an import
            sys.stderr.flush()
            os._exit(int(e.code))
        raise
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.stderr.flush()
        os._exit(interrupted_exit_code())
    except Exception as e:  # internal error: exit 1, traceback only when asked
        if _caused_by_interrupt(e):  # Ctrl-C inside an import, re-raised by Python as another error
            click.echo("Interrupted.", err=True)
            sys.stderr.flush()
            os._exit(interrupted_exit_code())
        if os.environ.get("WORKBENCH_DEBUG") == "1":
            raise
        click.echo(f"Internal error: {type(e).__name__}: {e} (set WORKBENCH_DEBUG=1 for the traceback)", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
