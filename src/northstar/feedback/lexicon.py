"""Per-language word lists: opinion terms with their negators, and the terms of each theme.

A lexicon is a YAML file per language (``feedback/lexicons/<lang>.yaml``, written for the project):

.. code-block:: yaml

    language: it
    sentiment: {positive: [...], negative: [...], negators: [...]}
    themes: {support: [...], pricing: [...], ...}

How a term matches, after both text and term are normalised (:func:`normalise`):

- Languages written with spaces: whole words; a trailing ``*`` makes the last word a prefix (``fattur*`` matches
  *fattura*, *fatture*); phrases are words separated by spaces.
- Arabic: anywhere in a word, since articles and conjunctions (ال، و، ب، ل، ف) and pronouns attach to it.
- Japanese: anywhere in the text, which has no spaces.

Negation (the polarity of an opinion term flips): a negator among the three words before the term, or for
Japanese a negating suffix (ない, ません, ...) starting within three characters after it.

A company adds its own terms (product names, its own themes) with ``NORTHSTAR_LEXICONS``: a folder of
``<lang>.yaml`` files in the same form, whose lists extend the shipped ones and whose new theme keys add
themes.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

SHIPPED = Path(__file__).with_name("lexicons")
#: Languages matched inside words rather than on word boundaries.
UNSPACED = {"ja", "zh", "th"}
INWORD = {"ar", "fa", "ur"}
NEGATION_WINDOW = 3

_AR_DIACRITICS = re.compile(r"[\u064b-\u0652\u0670\u0640]")
_AR_MAP = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"})
_WORD = re.compile(r"\w+", re.UNICODE)


def normalise(text: str, language: str) -> str:
    """NFKC and case folding; for Arabic also no diacritics or tatweel, one alef, ى as ي and ة as ه."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if language in INWORD:
        text = _AR_DIACRITICS.sub("", text).translate(_AR_MAP)
    return text


@dataclass(frozen=True)
class Hit:
    """One matched term: the text it matched (a prefix term's whole word), where, and whether negated."""

    term: str
    start: int
    end: int
    negated: bool = False


def _wordchar(c: str) -> bool:
    return c.isalnum() or c == "_"


@dataclass(frozen=True)
class _Term:
    category: str  # "positive", "negative", "negator" or "theme:<key>"
    length: int
    prefix: bool


class Matcher:
    """All of one language's terms in one Aho-Corasick automaton (``pyahocorasick``): one pass over a comment
    finds every term, however many there are, where a regular expression of a few hundred alternatives tries
    each at every position. Word boundaries are checked on each occurrence afterwards."""

    def __init__(self, language: str, sections: dict[str, list[str]]) -> None:
        import ahocorasick

        self.language = language
        self._automaton = ahocorasick.Automaton()
        entries: dict[str, list[_Term]] = {}
        for category, terms in sections.items():
            for raw in terms:
                term = " ".join(normalise(raw.strip(), language).split())
                prefix = term.endswith("*")
                term = term.rstrip("*").strip()
                if term:
                    entries.setdefault(term, []).append(_Term(category, len(term), prefix))
        for term, found in entries.items():
            self._automaton.add_word(term, tuple(found))
        self._empty = not entries
        if not self._empty:
            self._automaton.make_automaton()

    def _occurrences(self, text: str) -> list[tuple[str, int, int]]:
        """(category, start, end) of every term occurrence that respects the language's word rules."""
        if self._empty:
            return []
        out = []
        n = len(text)
        spaced = self.language not in UNSPACED and self.language not in INWORD
        for last, terms in self._automaton.iter(text):
            for t in terms:
                start, end = last - t.length + 1, last + 1
                if spaced:
                    if start > 0 and _wordchar(text[start - 1]):
                        continue
                    if t.prefix:
                        while end < n and _wordchar(text[end]):
                            end += 1
                    elif end < n and _wordchar(text[end]):
                        continue
                elif self.language in INWORD:  # the whole word the stem sits in, for the evidence
                    while start > 0 and _wordchar(text[start - 1]):
                        start -= 1
                    while end < n and _wordchar(text[end]):
                        end += 1
                out.append((t.category, start, end))
        return out

    def _negated(self, text: str, start: int, end: int, negators: list[tuple[int, int]]) -> bool:
        if self.language in UNSPACED:  # a negating suffix starting within the window after the term
            return any(end <= s <= end + NEGATION_WINDOW for s, _ in negators)
        before = [m.start() for m in _WORD.finditer(text, max(0, start - 80), start)][-NEGATION_WINDOW:]
        return bool(before) and any(before[0] <= s and e <= start for s, e in negators)

    def opinions(self, text: str) -> tuple[list[Hit], list[Hit]]:
        """Positive and negative hits in ``text`` (normalised), each marked negated or not.

        Overlapping hits keep the longer one, so a phrase listed whole ("not bad at all" as positive, 不親切 as
        negative) wins over a term inside it ("bad", 親切)."""
        found = self._occurrences(text)
        negators = [(s, e) for c, s, e in found if c == "negator"]
        hits = sorted(((s, e, c) for c, s, e in found if c in ("positive", "negative")), key=lambda h: (h[0], -h[1]))
        pos: list[Hit] = []
        neg: list[Hit] = []
        reach = -1
        for s, e, c in hits:
            if s < reach:
                continue
            reach = e
            outside = [(ns, ne) for ns, ne in negators if not (s <= ns and ne <= e)]  # not the "not" of "not bad"
            hit = Hit(text[s:e], s, e, self._negated(text, s, e, outside))
            (pos if c == "positive" else neg).append(hit)
        return pos, neg

    def theme_hits(self, text: str) -> dict[str, list[str]]:
        """Each theme whose terms occur in ``text`` (normalised), with the words found."""
        out: dict[str, list[str]] = {}
        for c, s, e in sorted(self._occurrences(text), key=lambda h: h[1]):
            if c.startswith("theme:"):
                words = out.setdefault(c.removeprefix("theme:"), [])
                if text[s:e] not in words:
                    words.append(text[s:e])
        return out


def _read(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping with sentiment and themes")
    for section in ("sentiment", "themes"):
        part = data.get(section) or {}
        if not isinstance(part, dict):
            raise ValueError(f"{path}: {section}: expected a mapping of lists")
        for key, terms in part.items():
            if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
                raise ValueError(f"{path}: {section}.{key}: expected a list of terms (strings)")
    return data


def _merge(into: dict, extra: dict) -> None:
    for section in ("sentiment", "themes"):
        for key, terms in (extra.get(section) or {}).items():
            into.setdefault(section, {}).setdefault(key, [])
            into[section][key] = list(into[section][key]) + list(terms)


@lru_cache(maxsize=32)
def matcher(language: str, extra_dir: str | None = None) -> Matcher | None:
    """The matcher for ``language`` (shipped lexicon, extended from ``extra_dir``), None when it has none."""
    data: dict = {}
    shipped = SHIPPED / f"{language}.yaml"
    if shipped.exists():
        data = _read(shipped)
    if extra_dir:
        extra = Path(extra_dir) / f"{language}.yaml"
        if extra.exists():
            _merge(data, _read(extra))
    if not data:
        return None
    sentiment = data.get("sentiment") or {}
    sections = {k: list(sentiment.get(k) or []) for k in ("positive", "negative")}
    sections["negator"] = list(sentiment.get("negators") or [])
    sections |= {f"theme:{k}": list(v) for k, v in (data.get("themes") or {}).items()}
    return Matcher(language, sections)


def languages() -> list[str]:
    """The languages with a shipped lexicon."""
    return sorted(p.stem for p in SHIPPED.glob("*.yaml"))
