"""How well comment analysis does on labelled comments, per language, against the baselines it must beat.

Run on the project's evaluation set (``tests/data/comments``, written for Northstar independently of the
training set) by the tests and ``bench/comment_analysis.py``, and on a company's own labelled comments by
``northstar feedback evaluate``. For each language:

- language detection: the share of comments given their true language (no answer counts as wrong);
- sentiment: accuracy and macro-averaged F1, beside two baselines: the **majority class** of that language's
  set (what a constant answer scores) and the **lexicon alone** (the sign of positive minus negative terms);
- themes: micro-averaged precision, recall and F1 over (comment, theme) pairs, beside the baseline of tagging
  every comment with the language's most frequent theme.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sklearn.metrics import f1_score

from northstar.feedback.analysis import Analyzer
from northstar.feedback.sentiment import LABELS, Example, lexicon_counts, lexicon_polarity


@dataclass(frozen=True)
class Score:
    language: str
    n: int
    language_accuracy: float
    sentiment_accuracy: float
    sentiment_macro_f1: float
    majority_label: str
    majority_accuracy: float
    lexicon_accuracy: float
    theme_precision: float
    theme_recall: float
    theme_f1: float
    theme_baseline_f1: float


def _micro(pairs: Sequence[tuple[set[str], set[str]]]) -> tuple[float, float, float]:
    tp = sum(len(t & p) for t, p in pairs)
    predicted = sum(len(p) for _, p in pairs)
    true = sum(len(t) for t, _ in pairs)
    precision = tp / predicted if predicted else 0.0
    recall = tp / true if true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _score(language: str, examples: Sequence[Example], analyzer: Analyzer) -> Score:
    found = analyzer.analyze([e.text for e in examples])  # language detected, as on real comments
    truth = [e.sentiment for e in examples]
    predicted = [a.sentiment or "neutral" for a in found]
    majority, count = Counter(truth).most_common(1)[0]
    lexicon = [LABELS[lexicon_polarity(lexicon_counts(e.text, e.language, analyzer.extra_dir)) + 1] for e in examples]
    themes = [(set(e.themes), set(a.themes)) for e, a in zip(examples, found, strict=True)]
    top = Counter(t for e in examples for t in e.themes).most_common(1)
    baseline = [(set(e.themes), {top[0][0]} if top else set()) for e in examples]
    n = len(examples)
    precision, recall, f1 = _micro(themes)
    return Score(
        language,
        n,
        sum(a.language == e.language for a, e in zip(found, examples, strict=True)) / n,
        sum(p == t for p, t in zip(predicted, truth, strict=True)) / n,
        float(f1_score(truth, predicted, labels=list(LABELS), average="macro", zero_division=0)),
        majority,
        count / n,
        sum(p == t for p, t in zip(lexicon, truth, strict=True)) / n,
        precision,
        recall,
        f1,
        _micro(baseline)[2],
    )


def evaluate(examples: Sequence[Example], analyzer: Analyzer | None = None) -> list[Score]:
    """One :class:`Score` per language, in order of first appearance, then ``all`` when there are several."""
    analyzer = analyzer or Analyzer()
    by_language: dict[str, list[Example]] = {}
    for e in examples:
        by_language.setdefault(e.language, []).append(e)
    scores = [_score(lang, rows, analyzer) for lang, rows in by_language.items()]
    if len(scores) > 1:
        scores.append(_score("all", list(examples), analyzer))
    return scores
