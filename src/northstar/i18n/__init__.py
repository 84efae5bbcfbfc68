"""The interface's languages: gettext catalogues, the request's locale, and numbers, money and dates in it.

The catalogues are ``locales/<lang>/LC_MESSAGES/messages.po`` beside this module (extracted from the templates
and the web modules with Babel: ``make messages``); they are compiled in memory when first used, so the
repository holds no binary files. The locale of a request is chosen by ``choose``: the language the user
picked (a cookie, also kept on the user), else the browser's ``Accept-Language``, else English. It lives in a
context variable for the request, read by ``gettext`` and the formatters (templates, charts).

Numbers use Latin digits in every locale (Babel's default numbering system), with the locale's separators:
``1,234.5`` (en), ``1.234,5`` (it), ``1 234,5`` (pl).
"""

from __future__ import annotations

import contextlib
import functools
import io
import numbers
import re
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import date, datetime
from gettext import NullTranslations
from pathlib import Path

from babel import Locale, negotiate_locale
from babel.dates import format_date, format_datetime, format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import NumberPattern, format_compact_decimal, format_currency, parse_pattern
from babel.support import Translations

LOCALES = Path(__file__).parent / "locales"
#: The languages the interface ships complete, by code, each named in itself.
LANGUAGES = {"en": "English", "it": "Italiano", "ja": "日本語", "ar": "العربية", "pl": "Polski"}
RTL = frozenset({"ar"})
DEFAULT = "en"
COOKIE = "northstar_lang"

_current: ContextVar[str] = ContextVar("northstar_locale", default=DEFAULT)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "translate later"
    """Marks a string for the catalogues where it is defined; it is translated where it is shown."""
    return message


@functools.cache
def translations(lang: str) -> NullTranslations:
    """The catalogue of ``lang``, compiled in memory (English is the source: no catalogue)."""
    path = LOCALES / lang / "LC_MESSAGES" / "messages.po"
    if lang == DEFAULT or not path.exists():
        return NullTranslations()
    with open(path, "rb") as fh:
        catalog = read_po(fh, locale=lang)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(fp=buf)


def choose(picked: str | None, accept_language: str | None) -> str:
    """The language for a request: the one picked (cookie), else the browser's best match, else English."""
    if picked in LANGUAGES:
        return picked  # type: ignore[return-value]
    wanted = []
    for part in (accept_language or "").split(","):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        if tag:
            wanted.append((weight, tag.replace("-", "_")))
    wanted.sort(key=lambda w: -w[0])
    found = negotiate_locale([t for _, t in wanted], list(LANGUAGES), sep="_")
    return found or DEFAULT


def set_locale(lang: str) -> None:
    _current.set(lang if lang in LANGUAGES else DEFAULT)


def current() -> str:
    return _current.get()


@contextlib.contextmanager
def using(lang: str) -> Iterator[None]:
    """Words and formats in ``lang`` inside the block (an e-mail to a contact, whatever the page's language)."""
    token = _current.set(lang if lang in LANGUAGES else DEFAULT)
    try:
        yield
    finally:
        _current.reset(token)


def is_rtl(lang: str | None = None) -> bool:
    return (lang or current()) in RTL


def gettext(message: str, **values: object) -> str:
    """``message`` in the request's language, with ``%(name)s`` placeholders filled from ``values``."""
    text = translations(current()).gettext(message)
    return text % values if values else text


def ngettext(singular: str, plural: str, n: int, **values: object) -> str:
    text = translations(current()).ngettext(singular, plural, n)
    return text % {"num": n, **values}


_ = gettext


def _locale() -> Locale:
    return _parsed(current())


@functools.cache
def _parsed(lang: str) -> Locale:
    return Locale.parse(lang)


@functools.cache
def _pattern(text: str) -> NumberPattern:
    return parse_pattern(text)


def number(value: float | None, digits: int = 0) -> str:
    if not isinstance(value, numbers.Number) or value != value:  # None, NaN, or no value at all
        return "–"
    return _pattern("#,##0" + ("." + "0" * digits if digits else "")).apply(value, _locale())


def money(value: float | None, currency: str | None = None) -> str:
    """An amount, whole units, with the currency's symbol when given (the reporting currency's in totals)."""
    if not isinstance(value, numbers.Number) or value != value:
        return "–"
    if currency:
        loc = _locale()
        whole = re.sub(r"\.0+", "", loc.currency_formats["standard"].pattern)  # the locale's layout, no cents
        return format_currency(value, currency, format=whole, locale=loc, currency_digits=False)
    return number(value)


def percent(value: float | None, digits: int = 0) -> str:
    if not isinstance(value, numbers.Number) or value != value:
        return "–"
    return _pattern("#,##0" + ("." + "0" * digits if digits else "") + "%").apply(value, _locale())


def compact(value: float) -> str:
    """1.2K, 3.4M ... as the locale writes them (chart axes)."""
    if abs(value) < 1000:
        return number(value)
    return format_compact_decimal(value, locale=_locale(), fraction_digits=1)


def day(value: date | datetime | None, style: str = "medium") -> str:
    if value is None:
        return "–"
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, style, locale=_locale())


def moment(value: datetime | None) -> str:
    if value is None:
        return "–"
    return format_datetime(value, "short", locale=_locale())


def month(value: date | datetime) -> str:
    """Month and year: "Oct 2026", "ott 2026", "2026年10月"."""
    return format_skeleton("yMMM", value, locale=_locale())


def quarter(value: date | datetime) -> str:
    """The quarter a day falls in, as the locale abbreviates it: "Q3 2026"."""
    return format_date(value, "QQQ y", locale=_locale())


__all__ = [
    "COOKIE",
    "LANGUAGES",
    "N_",
    "RTL",
    "choose",
    "using",
    "compact",
    "current",
    "day",
    "gettext",
    "is_rtl",
    "moment",
    "money",
    "month",
    "ngettext",
    "number",
    "percent",
    "quarter",
    "set_locale",
]
