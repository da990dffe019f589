"""What every CLI command receives: the validated config and the global options."""

from __future__ import annotations

from dataclasses import dataclass

import click

from scraper.config import Config


@dataclass
class AppContext:
    config: Config
    db_override: str | None
    verbosity: int
    log_format: str

    @property
    def db_path(self) -> str:
        return self.db_override or self.config.storage.path


pass_app = click.make_pass_decorator(AppContext)
