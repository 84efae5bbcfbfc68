"""Parsing text values into typed ones, with messages a person can act on."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from typing import Any

from northstar.ingest.spec import Field

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TRUE = {"true", "t", "yes", "y", "1"}
FALSE = {"false", "f", "no", "n", "0"}


class BadValue(ValueError):
    pass


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text[:10]) if len(text) >= 10 else date.fromisoformat(text)
    except ValueError:
        raise BadValue(f"unparsable date {text!r} (expected YYYY-MM-DD)") from None


def parse_datetime(text: str) -> datetime:
    """ISO 8601; a value without a zone is taken as UTC; a bare date is midnight UTC."""
    try:
        value = datetime.fromisoformat(text.replace(" UTC", "Z"))
    except ValueError:
        raise BadValue(f"unparsable timestamp {text!r} (expected ISO 8601, e.g. 2025-03-01T14:30:00Z)") from None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_int(text: str) -> int:
    try:
        number = float(text)
    except ValueError:
        raise BadValue(f"not a whole number: {text!r}") from None
    if not number.is_integer():
        raise BadValue(f"not a whole number: {text!r}")
    return int(number)


def parse_float(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise BadValue(f"not a number: {text!r}") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise BadValue(f"not a finite number: {text!r}")
    return number


def parse_choice(text: str, choices: tuple[str, ...]) -> str:
    key = re.sub(r"[\s\-]+", "_", text.strip().lower())
    if key not in choices:
        raise BadValue(f"{text!r} is not one of: {', '.join(choices)}")
    return key


def parse_value(f: Field, text: str | None) -> Any:
    """Typed value of one cell; ``None`` for an empty one. Raises ``BadValue`` with the reason."""
    if text is None:
        return None
    text = text.strip()
    if text == "":
        return None
    if f.choices is not None:
        return parse_choice(text, f.choices)
    match f.type:
        case "str" | "text":
            return text
        case "email":
            if not EMAIL.match(text):
                raise BadValue(f"not an e-mail address: {text!r}")
            return text.lower()
        case "int":
            return parse_int(text)
        case "float":
            return parse_float(text)
        case "date":
            return parse_date(text)
        case "datetime":
            return parse_datetime(text)
        case "bool":
            low = text.lower()
            if low in TRUE:
                return True
            if low in FALSE:
                return False
            raise BadValue(f"not true/false: {text!r}")
        case "json":
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise BadValue(f"invalid JSON ({exc.msg})") from None
            if not isinstance(value, dict):
                raise BadValue("expected a JSON object")
            return value
    raise AssertionError(f"unhandled field type {f.type}")
