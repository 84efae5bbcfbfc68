"""The interface's languages: the catalogues complete and in step with the code, the locale chosen as a user
expects, numbers and dates written as each locale writes them, and every page in every language."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from northstar import i18n

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "src" / "northstar" / "i18n" / "locales"


def _catalog(lang: str):  # type: ignore[no-untyped-def]
    with open(LOCALES / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh, locale=lang)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The strings the code marks today, extracted afresh (as 'make messages' does)."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    cmd = [sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg", "-k", "N_"]
    subprocess.run([*cmd, "--omit-header", "-o", str(pot), "src"], cwd=ROOT, check=True)
    with open(pot, "rb") as fh:
        return {m.id for m in read_po(fh) if m.id}


@pytest.mark.parametrize("lang", [code for code in i18n.LANGUAGES if code != "en"])
def test_every_catalogue_is_complete_and_in_step_with_the_code(lang, extracted):
    catalog = _catalog(lang)
    ids = {m.id for m in catalog if m.id}
    assert ids == extracted, f"run 'make messages' and translate: {sorted(map(str, extracted ^ ids))[:10]}"
    for m in catalog:
        if not m.id:
            continue
        assert not m.fuzzy, m.id
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        assert all(s.strip() for s in strings), f"{lang}: untranslated {m.id!r}"
        assert len(strings) == (catalog.num_plurals if isinstance(m.id, tuple) else 1), m.id
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check() if errors]
    assert not problems, problems  # placeholders: the same %(name)s in every translation


def test_the_language_is_chosen_as_a_user_expects():
    assert i18n.choose(None, None) == "en"
    assert i18n.choose(None, "it-IT,it;q=0.9,en;q=0.8") == "it"
    assert i18n.choose(None, "fr-FR, ja;q=0.5") == "ja"  # French is not offered: the next the browser accepts
    assert i18n.choose(None, "de, fr") == "en"
    assert i18n.choose(None, "en;q=0.2, pl;q=0.9") == "pl"  # by weight, not by order
    assert i18n.choose("ar", "it") == "ar"  # the picked language wins
    assert i18n.choose("xx", "pl-PL") == "pl"  # an unknown cookie is ignored
    assert i18n.is_rtl("ar") and not i18n.is_rtl("ja")


@pytest.mark.parametrize(
    ("lang", "money", "share", "day", "month"),
    [
        ("en", "1,234,567", "12.5%", "Oct 31, 2026", "Oct 2026"),
        ("it", "1.234.567", "12,5%", "31 ott 2026", "ott 2026"),
        ("pl", "1\xa0234\xa0567", "12,5%", "31 paź 2026", "paź 2026"),
        ("ja", "1,234,567", "12.5%", "2026/10/31", "2026年10月"),
        ("ar", "1,234,567", "12.5%", "31\u200f/10\u200f/2026", "أكتوبر 2026"),
    ],
)
def test_numbers_and_dates_in_each_locale(lang, money, share, day, month):
    i18n.set_locale(lang)
    try:
        assert i18n.money(1234567.4) == money
        assert i18n.percent(0.125, 1) == share
        assert i18n.day(date(2026, 10, 31)) == day
        assert i18n.month(date(2026, 10, 31)) == month
        assert i18n.money(None) == "–" and i18n.number(float("nan")) == "–"
        assert "567" not in i18n.money(1234567, "EUR") or "€" in i18n.money(1234567, "EUR")
    finally:
        i18n.set_locale("en")


def test_translations_fill_their_placeholders():
    i18n.set_locale("it")
    try:
        assert i18n.gettext("Page %(page)s of %(pages)s", page=2, pages=9) == "Pagina 2 di 9"
        assert i18n.ngettext("%(num)s account", "%(num)s accounts", 1) == "1 account"
    finally:
        i18n.set_locale("pl")
    try:
        assert [i18n.ngettext("%(num)s account", "%(num)s accounts", n) for n in (1, 3, 5, 22)] == [
            "1 konto",
            "3 konta",
            "5 kont",
            "22 konta",
        ]
    finally:
        i18n.set_locale("en")
