"""The ``kabar`` command line: thin click glue over the library.

Each command lives in a small ``cli_*`` module and is registered at the bottom of this file. Library errors
(:mod:`scraper.errors`) become one line on stderr and the exit code of SPEC.md.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import click

from scraper import __version__
from scraper.config import load_config
from scraper.context import AppContext
from scraper.errors import KabarError
from scraper.logs import setup_logging

# Each command lives in its own module, imported only when that command runs: `kabar search` must not pay
# for the crawler's imports (numpy, APScheduler, the parser) on every call.
COMMANDS: dict[str, str] = {
    "cluster": "scraper.cli_cluster:cluster_cmd",
    "crawl": "scraper.cli_crawl:crawl_cmd",
    "daemon": "scraper.cli_daemon:daemon_cmd",
    "demo": "scraper.cli_crawl:demo_cmd",
    "export": "scraper.cli_query:export_cmd",
    "latest": "scraper.cli_query:latest_cmd",
    "parse": "scraper.cli_parse:parse_cmd",
    "recluster": "scraper.cli_story:recluster_cmd",
    "search": "scraper.cli_query:search_cmd",
    "serve": "scraper.cli_serve:serve_cmd",
    "stats": "scraper.cli_query:stats_cmd",
    "story": "scraper.cli_story:story_cmd",
    "worker": "scraper.cli_cluster:worker_cmd",
}


class ClosedPipe(Exception):
    """Standard output's reader went away (``kabar export | head -1``): exit quietly, as ``cat`` does.

    Not an OSError, so click's own EPIPE handling (exit 1) does not see it.
    """


class LazyGroup(click.Group):
    """A click group that imports a command's module when the command is looked up."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except BrokenPipeError as exc:
            raise ClosedPipe() from exc

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return self.commands.get(cmd_name)
        module_name, attr = target.split(":")
        command = getattr(importlib.import_module(module_name), attr)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(path_type=Path), default=None,
              help="Config file (default: ./config.toml when it exists, else built-in defaults).")
@click.option("--db", "db_path", default=None, help="SQLite database path (overrides [storage].path).")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", count=True, help="Less output: errors only.")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Log line format on stderr.")
@click.version_option(__version__, prog_name="kabar")
@click.pass_context
def main_group(ctx: click.Context, config_path: Path | None, db_path: str | None, verbose: int,
               quiet: int, log_format: str) -> None:
    """kabar: a local, queryable archive of Indonesian news portals."""
    verbosity = verbose - quiet
    setup_logging(verbosity, log_format)
    config = load_config(config_path, explicit=config_path is not None)
    ctx.obj = AppContext(config=config, db_override=db_path, verbosity=verbosity, log_format=log_format)


def _quiet_stdout() -> None:
    """Point standard output at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _fail(message: str, code: int) -> None:
    click.echo(f"kabar: error: {message}", err=True)
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: maps errors to exit codes, each as one ``kabar: error:`` line.

    click's own usage errors (unknown option, missing argument, bad choice or value) are one line and exit 2;
    ``--help`` still prints help. A closed output pipe exits 0 without a word; an output that cannot be
    written (``> /dev/full``) is one line and exit 1.
    """
    try:
        rv = main_group.main(args=argv, prog_name="kabar", standalone_mode=False)
        sys.stdout.flush()
    except KabarError as exc:
        _fail(str(exc), exc.exit_code)
    except click.exceptions.NoArgsIsHelpError as exc:
        exc.show()
        sys.exit(2)
    except click.UsageError as exc:
        _fail(" ".join(exc.format_message().split()), 2)
    except click.exceptions.Abort:
        click.echo("kabar: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        _fail(" ".join(exc.format_message().split()), exc.exit_code)
    except KeyboardInterrupt:
        click.echo("kabar: interrupted", err=True)
        sys.exit(130)
    except (ClosedPipe, BrokenPipeError):
        _quiet_stdout()
        sys.exit(0)
    except OSError as exc:
        # An output that cannot be written (a full disk, /dev/full); files name themselves.
        where = f"cannot write {exc.filename}" if exc.filename else "cannot write output"
        _quiet_stdout()
        _fail(f"{where}: {exc.strerror or exc}", 1)
    sys.exit(rv if isinstance(rv, int) else 0)
