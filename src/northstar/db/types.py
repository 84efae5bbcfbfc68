"""Column types shared by the domains."""

from __future__ import annotations

import enum

from sqlalchemy import Enum, Numeric


def str_enum(cls: type[enum.StrEnum]) -> Enum:
    """A portable enum column: VARCHAR plus a CHECK constraint, the same on SQLite and PostgreSQL."""
    return Enum(
        cls,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in cls),
        values_callable=lambda e: [m.value for m in e],
        name=cls.__name__.lower(),
        validate_strings=True,
    )


#: Money: exact decimal in the database, float in Python (metrics run in DataFrames).
Money = Numeric(18, 4, asdecimal=False)
