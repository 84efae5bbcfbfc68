"""Loading a configuration file for a command: its errors printed, and its absence explained."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console

from northstar.config import Settings
from northstar.configfiles import ConfigError, ConfigFile

err = Console(stderr=True)


def load(file: ConfigFile[Any], settings: Settings, doc: str | None = None) -> Any:
    """The configuration in ``file``; exits with its errors. With ``doc``, a missing file is an error too,
    pointing at the page that shows one; without, None is returned for it."""
    try:
        config = file.load(settings)
    except ConfigError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    if config is None and doc:
        err.print(f"[red]No {file.name}.yaml in the data folder ({doc} shows one).[/red]")
        raise typer.Exit(1)
    return config
