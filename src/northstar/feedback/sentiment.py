"""Sentiment of a comment (positive, neutral, negative), offline, in any language with a lexicon.

The model is a multinomial logistic regression over two kinds of features of the normalised text
(:func:`northstar.feedback.lexicon.normalise`):

- **character n-grams** of 1 to 4 characters inside word boundaries, TF-IDF weighted with sublinear term
  frequency (Manning, Raghavan & Schütze 2008, ch. 6). They need no tokeniser, so they work for Japanese, and
  they catch inflected forms in Italian, Polish and Arabic that a word list misses;
- **lexicon counts** (:mod:`northstar.feedback.lexicon`): positive and negative opinion terms, each split by
  whether a negator governs it, so "not easy" counts against and "no problems" for.

It is trained when first used, in about a second, on the project's own labelled comments
(``feedback/data/train/<lang>.jsonl``, written for Northstar, never the evaluation set in ``tests/data``).
Nothing is downloaded. ``bench/comment_analysis.py`` reports its accuracy per language against the majority
class and the lexicon alone.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from northstar.feedback.lexicon import matcher, normalise
from northstar.feedback.themes import THEME_KEYS

LABELS: tuple[str, ...] = ("negative", "neutral", "positive")
TRAIN_DIR = Path(__file__).with_name("data") / "train"


@dataclass(frozen=True)
class Example:
    """A labelled comment: the training and evaluation sets' rows."""

    text: str
    language: str
    sentiment: str
    themes: tuple[str, ...]


def read_examples(path: Path, language: str | None = None) -> list[Example]:
    """A JSON Lines file of ``{"text", "sentiment", "themes"}`` and optionally ``"language"`` (else the file's
    name, ``<lang>.jsonl`` or ``<lang>.<part>.jsonl``); errors name the file, line and field."""
    language = language or path.name.split(".")[0]
    out = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}: line {n}: not JSON: {exc.msg}") from None
            text, sentiment, themes = row.get("text"), row.get("sentiment"), row.get("themes", [])
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"{path}: line {n}: text: expected a non-empty string")
            if sentiment not in LABELS:
                raise ValueError(f"{path}: line {n}: sentiment: {sentiment!r} is not one of {', '.join(LABELS)}")
            if not isinstance(themes, list) or any(t not in THEME_KEYS for t in themes):
                raise ValueError(f"{path}: line {n}: themes: expected a list of {', '.join(THEME_KEYS)}")
            out.append(Example(text, str(row.get("language") or language), sentiment, tuple(themes)))
    return out


def training_set() -> list[Example]:
    return [e for path in sorted(TRAIN_DIR.glob("*.jsonl")) for e in read_examples(path)]


def lexicon_counts(text: str, language: str | None, extra_dir: str | None = None) -> tuple[int, int, int, int]:
    """(positive, negative, negated positive, negated negative) opinion terms in ``text``."""
    m = matcher(language, extra_dir) if language else None
    if m is None:
        return (0, 0, 0, 0)
    pos, neg = m.opinions(normalise(text, language or ""))
    return (
        sum(not h.negated for h in pos),
        sum(not h.negated for h in neg),
        sum(h.negated for h in pos),
        sum(h.negated for h in neg),
    )


def lexicon_polarity(counts: tuple[int, int, int, int]) -> int:
    """The lexicon's own vote: +1, 0 or -1. A negated positive counts as negative and vice versa."""
    pos, neg, npos, nneg = counts
    score = pos + nneg - neg - npos
    return (score > 0) - (score < 0)


def _lexicon_matrix(counts: Sequence[tuple[int, int, int, int]]) -> np.ndarray:
    a = np.asarray(counts, dtype=float).reshape(-1, 4)
    polarity = a[:, 0] + a[:, 3] - a[:, 1] - a[:, 2]
    return np.column_stack([np.log1p(a), np.sign(polarity), np.tanh(polarity / 2)])


class SentimentModel:
    """Character n-grams plus lexicon counts into a multinomial logistic regression (see the module doc)."""

    def __init__(self, extra_dir: str | None = None, c: float = 16.0, lexicon_weight: float = 1.0) -> None:
        self.extra_dir = extra_dir
        self.c = c
        self.lexicon_weight = lexicon_weight

    def _features(self, texts: Sequence[str], languages: Sequence[str | None], fit: bool = False):  # noqa: ANN202
        from scipy.sparse import csr_matrix, hstack

        norm = [normalise(t, lang or "") for t, lang in zip(texts, languages, strict=True)]
        chars = self.vectorizer_.fit_transform(norm) if fit else self.vectorizer_.transform(norm)
        counts = [lexicon_counts(t, lang, self.extra_dir) for t, lang in zip(texts, languages, strict=True)]
        return hstack([chars, csr_matrix(_lexicon_matrix(counts) * self.lexicon_weight)]).tocsr()

    def fit(self, examples: Sequence[Example]) -> SentimentModel:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        if not examples:
            raise ValueError("no training examples: feedback/data/train/*.jsonl is empty")
        self.vectorizer_ = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True, lowercase=False, min_df=2, dtype=np.float32
        )
        x = self._features([e.text for e in examples], [e.language for e in examples], fit=True)
        y = [e.sentiment for e in examples]
        # newton-cg reaches the same (convex) optimum as lbfgs here five times sooner
        self.model_ = LogisticRegression(C=self.c, solver="newton-cg", max_iter=1000, class_weight="balanced").fit(x, y)
        self.classes_ = list(self.model_.classes_)
        return self

    def predict_proba(self, texts: Sequence[str], languages: Sequence[str | None]) -> np.ndarray:
        """Probabilities in the order of :data:`LABELS`."""
        if not texts:
            return np.zeros((0, len(LABELS)))
        p = self.model_.predict_proba(self._features(texts, languages))
        return p[:, [self.classes_.index(label) for label in LABELS]]

    def predict(self, texts: Sequence[str], languages: Sequence[str | None]) -> list[str]:
        return [LABELS[i] for i in self.predict_proba(texts, languages).argmax(axis=1)]


@lru_cache(maxsize=4)
def model(extra_dir: str | None = None) -> SentimentModel:
    """The model trained on the shipped training set (once per process)."""
    return SentimentModel(extra_dir).fit(training_set())
