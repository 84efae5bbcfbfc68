"""Which language a comment is written in, offline.

Detection is Lingua's (``lingua-language-detector``: character n-gram models of 1 to 5 characters, shipped
inside its wheel, no network), limited to the languages a company expects (``NORTHSTAR_COMMENT_LANGUAGES``,
default :data:`DEFAULT_LANGUAGES`): fewer candidates are both more accurate on short comments and lighter, about
35 MB of models per language. A comment too short or too ambiguous to tell (the two best candidates closer
than :data:`MIN_DISTANCE`) gets no language rather than a guess.

Comments in a script only one candidate uses (kana or kanji for Japanese, Arabic letters for Arabic when no
other Arabic-script language is expected) are decided by the script alone, which is exact and costs nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache

#: The five languages of the interface and the surveys, and the most common others in B2B customer bases.
DEFAULT_LANGUAGES: tuple[str, ...] = ("en", "it", "ja", "ar", "pl", "de", "fr", "es", "pt", "nl")
#: Lingua's minimum relative distance between the best two candidates: below it, no answer.
MIN_DISTANCE = 0.05

_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
#: Arabic-script languages Lingua knows: when one is expected, Arabic letters alone do not decide.
_ARABIC_SCRIPT = {"ar", "fa", "ur"}


def parse_languages(text: str) -> tuple[str, ...]:
    """``en, it ja`` -> ``("en", "it", "ja")``; an unknown code is refused with the codes Lingua knows."""
    from lingua import Language

    codes = tuple(dict.fromkeys(c.strip().lower() for c in text.replace(",", " ").split() if c.strip()))
    known = {lang.iso_code_639_1.name.lower() for lang in Language.all()}
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ValueError(f"NORTHSTAR_COMMENT_LANGUAGES: unknown language code(s) {', '.join(unknown)}")
    if len(codes) < 2:
        raise ValueError("NORTHSTAR_COMMENT_LANGUAGES: name at least two languages, e.g. en,it")
    return codes


@lru_cache(maxsize=4)
def _detector(languages: tuple[str, ...]):  # noqa: ANN202 - lingua's type
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    langs = [Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper())) for c in languages]
    return LanguageDetectorBuilder.from_languages(*langs).with_minimum_relative_distance(MIN_DISTANCE).build()


def _by_script(text: str, languages: Sequence[str]) -> str | None:
    letters = len(_LETTER.findall(text))
    if not letters:
        return None
    if "ja" in languages and _KANA.search(text):
        return "ja"
    if "ja" in languages and "zh" not in languages and len(_CJK.findall(text)) * 2 >= letters:
        return "ja"
    arabic = len(_ARABIC.findall(text))
    if "ar" in languages and not (_ARABIC_SCRIPT - {"ar"}) & set(languages) and arabic * 2 >= letters:
        return "ar"
    return None


def detect(texts: Iterable[str | None], languages: Sequence[str] = DEFAULT_LANGUAGES) -> list[str | None]:
    """The ISO 639-1 code of each text's language, or None when it has no letters or cannot be told."""
    texts = [unicodedata.normalize("NFKC", t or "").strip() for t in texts]
    out: list[str | None] = [None] * len(texts)
    rest: list[int] = []
    for i, text in enumerate(texts):
        if not _LETTER.search(text):
            continue
        out[i] = _by_script(text, languages)
        if out[i] is None:
            rest.append(i)
    if rest:
        found = _detector(tuple(languages)).detect_languages_in_parallel_of([texts[i] for i in rest])
        for i, lang in zip(rest, found, strict=True):
            out[i] = lang.iso_code_639_1.name.lower() if lang is not None else None
    return out
