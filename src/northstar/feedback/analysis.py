"""Comment analysis: language, sentiment and themes of free text, offline, for files and for stored feedback.

Each part lives in its own module: :mod:`~northstar.feedback.language` (Lingua, limited to the expected
languages), :mod:`~northstar.feedback.sentiment` (character n-grams and lexicon counts into a logistic
regression trained on the project's labelled comments) and :mod:`~northstar.feedback.themes` (per-language term
lists). This module runs them together, in batches, and keeps the evidence: the opinion words and theme terms
found, so a reader can see why a comment was tagged.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from northstar.feedback import language as lang_mod
from northstar.feedback import themes as themes_mod
from northstar.feedback.lexicon import matcher, normalise
from northstar.feedback.sentiment import LABELS, model

#: Columns ``northstar feedback analyze`` adds (or overwrites) in the file it writes.
OUTPUT_COLUMNS: tuple[str, ...] = ("language", "sentiment", "themes")
#: Between themes in one CSV cell.
THEME_SEPARATOR = ";"
BATCH = 2000


@dataclass(frozen=True)
class Analysis:
    language: str | None
    sentiment: str | None  # None for an empty comment
    confidence: float | None  # the model's probability of that sentiment
    themes: tuple[str, ...] = ()
    #: The words behind the tags: "positive" and "negative" opinion terms ("not " before a negated one) and,
    #: per theme, its terms found.
    evidence: dict[str, list[str]] = field(default_factory=dict)


class Analyzer:
    """Language, sentiment and themes for batches of comments.

    ``languages`` are the detector's candidates; ``extra_dir`` a folder of lexicons extending the shipped ones.
    """

    def __init__(self, languages: Sequence[str] = lang_mod.DEFAULT_LANGUAGES, extra_dir: str | None = None) -> None:
        self.languages = tuple(languages)
        self.extra_dir = extra_dir

    @classmethod
    def for_settings(cls, settings) -> Analyzer:  # noqa: ANN001 - northstar.config.Settings
        return cls(settings.comment_languages, str(settings.lexicons_dir) if settings.lexicons_dir else None)

    def analyze(self, texts: Sequence[str | None], known: Sequence[str | None] | None = None) -> list[Analysis]:
        """Analyse ``texts``; ``known`` gives a language already known per text (a survey's), else detected."""
        texts = [(t or "").strip() for t in texts]
        langs: list[str | None] = list(known) if known is not None else [None] * len(texts)
        missing = [i for i, lang in enumerate(langs) if not lang and texts[i]]
        if missing:
            for i, found in zip(missing, lang_mod.detect([texts[i] for i in missing], self.languages), strict=True):
                langs[i] = found
        langs = [(lang or "").lower() or None for lang in langs]
        # each distinct (text, language) once: "ok", "great" and a survey tool's canned answers repeat a lot
        unique = list(dict.fromkeys((t, lang) for t, lang in zip(texts, langs, strict=True) if t))
        proba = model(self.extra_dir).predict_proba([t for t, _ in unique], [lang for _, lang in unique])
        done: dict[tuple[str, str | None], Analysis] = {}
        for row, (text, lang) in enumerate(unique):
            best = int(proba[row].argmax())
            found = themes_mod.find(text, lang, self.extra_dir)
            evidence = self._opinions(text, lang) | found
            done[text, lang] = Analysis(lang, LABELS[best], round(float(proba[row, best]), 3), tuple(found), evidence)
        return [done[t, lang] if t else Analysis(lang, None, None) for t, lang in zip(texts, langs, strict=True)]

    def _opinions(self, text: str, language: str | None) -> dict[str, list[str]]:
        m = matcher(language, self.extra_dir) if language else None
        if m is None:
            return {}
        pos, neg = m.opinions(normalise(text, language or ""))
        out = {
            "positive": [h.term for h in pos if not h.negated] + ["not " + h.term for h in neg if h.negated],
            "negative": [h.term for h in neg if not h.negated] + ["not " + h.term for h in pos if h.negated],
        }
        return {k: v for k, v in out.items() if v}


@dataclass(frozen=True)
class FileReport:
    rows: int
    by_sentiment: dict[str, int]
    by_language: dict[str, int]


def _rows(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """The header and the rows (with their line numbers) of a CSV; errors name the file and the row."""
    fh = path.open(encoding="utf-8-sig", newline="")
    try:
        reader = csv.DictReader(fh)
        header = list(reader.fieldnames or [])
    except UnicodeDecodeError as exc:
        fh.close()
        raise ValueError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if "comment" not in header:
        fh.close()
        found = ", ".join(header) or "no header"
        raise ValueError(f"{path}: no 'comment' column (found: {found})")

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        with fh:
            try:
                for row in reader:
                    if None in row:
                        raise ValueError(f"{path}: row {reader.line_num}: more fields than the header has")
                    yield reader.line_num, row
            except UnicodeDecodeError as exc:
                raise ValueError(f"{path}: row {reader.line_num + 1}: not UTF-8 text ({exc.reason})") from None
            except csv.Error as exc:
                raise ValueError(f"{path}: row {reader.line_num}: {exc}") from None

    return header, rows()


def _batches(rows: Iterator[tuple[int, dict[str, str]]], size: int) -> Iterator[list[dict[str, str]]]:
    batch: list[dict[str, str]] = []
    for _, row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def analyze_file(
    src: Path,
    out: Path,
    analyzer: Analyzer,
    progress: Callable[[int], None] | None = None,
) -> FileReport:
    """Read a CSV with a ``comment`` column and write it to ``out`` with ``language``, ``sentiment`` and
    ``themes`` columns (added, or overwritten when present). The file appears whole or not at all: it is
    written beside ``out`` and renamed over it at the end."""
    header, rows = _rows(src)
    columns = header + [c for c in OUTPUT_COLUMNS if c not in header]
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    count, by_sentiment, by_language = 0, dict.fromkeys(LABELS, 0), {}
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns)
            writer.writeheader()
            for batch in _batches(rows, BATCH):
                for row, a in zip(batch, analyzer.analyze([r.get("comment") for r in batch]), strict=True):
                    row["language"] = a.language or ""
                    row["sentiment"] = a.sentiment or ""
                    row["themes"] = THEME_SEPARATOR.join(a.themes)
                    writer.writerow(row)
                    if a.sentiment:
                        by_sentiment[a.sentiment] += 1
                    if a.language:
                        by_language[a.language] = by_language.get(a.language, 0) + 1
                count += len(batch)
                if progress:
                    progress(len(batch))
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return FileReport(count, by_sentiment, dict(sorted(by_language.items(), key=lambda kv: -kv[1])))
