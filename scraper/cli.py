"""The ``kabar`` command line: thin click glue over the library.

Each command lives in a small ``cli_*`` module and is registered at the bottom of this file. Library errors
(:mod:`scraper.errors`) become one line on stderr and the exit code of SPEC.md.
"""

from __future__ import annotations

import importlib
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
    "crawl": "scraper.cli_crawl:crawl_cmd",
    "daemon": "scraper.cli_daemon:daemon_cmd",
    "demo": "scraper.cli_crawl:demo_cmd",
    "export": "scraper.cli_query:export_cmd",
    "latest": "scraper.cli_query:latest_cmd",
    "parse": "scraper.cli_parse:parse_cmd",
    "search": "scraper.cli_query:search_cmd",
    "serve": "scraper.cli_serve:serve_cmd",
    "stats": "scraper.cli_query:stats_cmd",
}


class LazyGroup(click.Group):
    """A click group that imports a command's module when the command is looked up."""

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


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: maps errors to exit codes."""
    try:
        rv = main_group.main(args=argv, prog_name="kabar", standalone_mode=False)
    except KabarError as exc:
        click.echo(f"kabar: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("kabar: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if exc.exit_code == 2 else exc.exit_code)
    except KeyboardInterrupt:
        click.echo("kabar: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    sys.exit(rv if isinstance(rv, int) else 0)
