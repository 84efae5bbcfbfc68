"""Configuration kept as YAML files in the data folder: surveys, personas, success maps, playbooks.

DESIGN.md asks that such configuration be declarative, versioned, validated with clear errors and exportable,
so that a CS operations team can keep it in git. Each kind is one file, ``NORTHSTAR_HOME/<name>.yaml`` (else a
shipped default, if the kind has one). Saving checks the new text first, so an invalid text changes nothing,
keeps the text it replaces in ``<name>.history/`` (named by time and author), and replaces the file atomically.

Pydantic models do the checking; :func:`validation_message` turns their errors into lines that name the file
and the place, e.g. ``personas.yaml: personas[2].rules[0].op: ...``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from northstar.config import Settings

T = TypeVar("T")


class ConfigError(ValueError):
    """A configuration text that cannot be used; the message names the file and each problem's place."""


class Strict(BaseModel):
    """The base of configuration models: unknown keys are errors (a typo is caught), values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


M = TypeVar("M", bound=BaseModel)


def parser(model: type[M], error: type[ConfigError]) -> Callable[[Any, str], M]:
    """``parse(data, source)`` for a configuration model: its validation errors raised as ``error``, with
    lines naming ``source`` and each place."""

    def parse(data: Any, source: str = "") -> M:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise error(validation_message(exc, source or f"<{model.__name__}>")) from None

    return parse


def validation_message(exc: ValidationError, source: str) -> str:
    lines = []
    for e in exc.errors():
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e["loc"]).lstrip(".")
        msg = e["msg"].removeprefix("Value error, ")
        lines.append(f"{source}: {where}: {msg}" if where else f"{source}: {msg}")
    return "\n".join(dict.fromkeys(lines))


@dataclass(frozen=True)
class ConfigFile(Generic[T]):
    """One kind of configuration file. ``parse(data, source)`` checks the YAML's data and returns the
    configuration, raising an error (a ``ValueError``) that names ``source`` and the place."""

    name: str
    parse: Callable[[Any, str], T]
    default: Path | None = None
    error: type[ValueError] = ConfigError

    def path(self, settings: Settings) -> Path:
        return settings.home / f"{self.name}.yaml"

    def history_dir(self, settings: Settings) -> Path:
        return settings.home / f"{self.name}.history"

    def exists(self, settings: Settings) -> bool:
        """Whether the installation has its own file (not only the shipped default)."""
        return self.path(settings).exists()

    def text(self, settings: Settings) -> str:
        """The current text: the installation's file, else the shipped default, else empty."""
        own = self.path(settings)
        if own.exists():
            return own.read_text(encoding="utf-8")
        return self.default.read_text(encoding="utf-8") if self.default else ""

    def read(self, text: str, source: str) -> T:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise self.error(f"{source}: cannot read: {exc}") from None
        return self.parse(data, source)

    def load(self, settings: Settings) -> T | None:
        """The configuration in force: the installation's, else the shipped default, else None."""
        own = self.path(settings)
        path = own if own.exists() else self.default
        if path is None or not path.exists():
            return None
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise self.error(f"{path}: cannot read: {exc}") from None
        return self.read(text, str(path))

    def save(self, settings: Settings, text: str, by: str = "") -> T:
        """Check ``text`` and make it the installation's file, keeping the one it replaces in the history."""
        config = self.read(text, f"{self.name}.yaml")
        previous = self.text(settings)
        if previous and previous != text:
            folder = self.history_dir(settings)
            folder.mkdir(parents=True, exist_ok=True)
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            who = "".join(c for c in by if c.isalnum() or c in "@._-")[:60] or "unknown"
            (folder / f"{stamp}-{who}.yaml").write_text(previous, encoding="utf-8")
        current = self.path(settings)
        current.parent.mkdir(parents=True, exist_ok=True)
        tmp = current.with_name(f".{current.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, current)
        return config

    def history(self, settings: Settings) -> list[Path]:
        """Earlier versions, newest first."""
        folder = self.history_dir(settings)
        return sorted(folder.glob("*.yaml"), reverse=True) if folder.exists() else []
