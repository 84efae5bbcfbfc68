"""Comment analysis: accuracy per language against its baselines, and speed against a peer run here.

1. Accuracy on the labelled evaluation set (``tests/data/comments``, written for the project apart from the
   training set): language detection, sentiment against the majority class and the lexicon alone, themes
   against tagging every comment with the most frequent theme.
2. Accuracy on the demo generator's hand-written comments (``northstar.demo.phrases``), a third set written
   apart from both: sentiment, and whether the theme each was written for is found.
3. Speed on distinct comments: the whole analysis with the language known and detected, and the lexicon step
   (one Aho-Corasick pass) against the straightforward way, one regular expression of all terms per category,
   on the same comments in the same process.

    python bench/comment_analysis.py [--comments 20000]
"""

from __future__ import annotations

import argparse
import random
import re
import time
from pathlib import Path

from northstar.demo.phrases import PHRASES
from northstar.feedback.analysis import Analyzer
from northstar.feedback.evaluation import evaluate
from northstar.feedback.lexicon import SHIPPED, _read, matcher, normalise
from northstar.feedback.sentiment import Example, model, read_examples

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ("en", "it", "ja", "ar", "pl")


def accuracy_tables(analyzer: Analyzer) -> None:
    examples = [e for lang in LANGUAGES for e in read_examples(ROOT / "tests" / "data" / "comments" / f"{lang}.jsonl")]
    print("1. Evaluation set (tests/data/comments)")
    print(
        f"{'lang':5} {'n':>4} {'language':>9} {'sentiment':>10} {'macro F1':>9} {'majority':>9} {'lexicon':>8}"
        f" {'themes F1':>10} {'P':>5} {'R':>5} {'top theme':>10}"
    )
    for s in evaluate(examples, analyzer):
        print(
            f"{s.language:5} {s.n:4} {s.language_accuracy:9.1%} {s.sentiment_accuracy:10.1%} "
            f"{s.sentiment_macro_f1:9.3f} {s.majority_accuracy:9.1%} {s.lexicon_accuracy:8.1%} {s.theme_f1:10.3f} "
            f"{s.theme_precision:5.2f} {s.theme_recall:5.2f} {s.theme_baseline_f1:10.3f}"
        )
    print()
    print("2. Demo generator's comments (northstar.demo.phrases): sentiment, and the theme each was written for")
    print(f"{'lang':5} {'n':>4} {'sentiment':>10} {'majority':>9} {'theme found':>12}")
    for lang in LANGUAGES:
        rows = [
            Example(text, lang, sentiment, (theme,))
            for sentiment, by_theme in PHRASES[lang].items()
            for theme, texts in by_theme.items()
            for text in texts
        ]
        found = analyzer.analyze([e.text for e in rows], [lang] * len(rows))
        right = sum(a.sentiment == e.sentiment for a, e in zip(found, rows, strict=True)) / len(rows)
        majority = max(sum(e.sentiment == s for e in rows) for s in ("positive", "neutral", "negative")) / len(rows)
        theme = sum(e.themes[0] in a.themes for a, e in zip(found, rows, strict=True)) / len(rows)
        print(f"{lang:5} {len(rows):4} {right:10.1%} {majority:9.1%} {theme:12.1%}")
    print()


def corpus(n: int, seed: int = 7) -> tuple[list[str], list[str]]:
    """``n`` distinct comments: two sentences of the same language from the evaluation and demo sets."""
    pool: dict[str, list[str]] = {lang: [] for lang in LANGUAGES}
    for lang in LANGUAGES:
        pool[lang] += [e.text for e in read_examples(ROOT / "tests" / "data" / "comments" / f"{lang}.jsonl")]
        pool[lang] += [t for by_theme in PHRASES[lang].values() for texts in by_theme.values() for t in texts]
    rng = random.Random(seed)
    seen: set[str] = set()
    texts, langs = [], []
    while len(texts) < n:
        lang = rng.choice(LANGUAGES)
        text = f"{rng.choice(pool[lang])} {rng.choice(pool[lang])}"
        if text not in seen:
            seen.add(text)
            texts.append(text)
            langs.append(lang)
    return texts, langs


def regex_peer(language: str) -> list[re.Pattern[str]]:
    """The straightforward matcher: one alternation of every term per category, word boundaries in the
    pattern (what the lexicon module did before it used Aho-Corasick)."""
    data = _read(SHIPPED / f"{language}.yaml")
    groups = [data["sentiment"].get(k, []) for k in ("positive", "negative", "negators")]
    groups += list(data["themes"].values())
    out = []
    for terms in groups:
        parts = []
        for t in sorted({normalise(t, language) for t in terms}, key=len, reverse=True):
            body = r"\s+".join(re.escape(w) for w in t.rstrip("*").split())
            if language == "ja":
                parts.append(body)
            elif language == "ar":
                parts.append(r"\w*" + body + r"\w*")
            else:
                parts.append(r"(?<!\w)" + body + (r"\w*" if t.endswith("*") else "") + r"(?!\w)")
        out.append(re.compile("|".join(parts)))
    return out


def speed(n: int, analyzer: Analyzer) -> None:
    texts, langs = corpus(n)
    model()  # trained once per process; not part of the per-comment figure
    analyzer.analyze(texts[:50])  # the language detector's models loaded
    t0 = time.perf_counter()
    analyzer.analyze(texts, langs)
    known = time.perf_counter() - t0
    t0 = time.perf_counter()
    analyzer.analyze(texts)
    detected = time.perf_counter() - t0
    norm = [normalise(t, lang) for t, lang in zip(texts, langs, strict=True)]
    t0 = time.perf_counter()
    for t, lang in zip(norm, langs, strict=True):
        m = matcher(lang)
        m.opinions(t)
        m.theme_hits(t)
    ours = time.perf_counter() - t0
    peers = {lang: regex_peer(lang) for lang in LANGUAGES}
    t0 = time.perf_counter()
    for t, lang in zip(norm, langs, strict=True):
        for pattern in peers[lang]:
            pattern.findall(t)
    peer = time.perf_counter() - t0
    print(f"3. Speed on {n:,} distinct comments (five languages)")
    print(f"   whole analysis, language known:    {known:6.2f} s  ({n / known:,.0f} comments/s)")
    print(
        f"   whole analysis, language detected: {detected:6.2f} s  ({n / detected:,.0f} comments/s; "
        f"{detected / known:.2f}x the time with the language known)"
    )
    print(
        f"   lexicon step, Aho-Corasick: {ours:.2f} s; one regex per category: {peer:.2f} s -> "
        f"{peer / ours:.1f}x faster"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--comments", type=int, default=20_000)
    args = parser.parse_args()
    analyzer = Analyzer()
    accuracy_tables(analyzer)
    speed(args.comments, analyzer)


if __name__ == "__main__":
    main()
