"""What a comment is about: themes found by each language's lexicon (:mod:`northstar.feedback.lexicon`).

A theme is a key (``support``, ``pricing``, ...) with terms per language. Term lists beat a trained topic model
here because a success team can read, correct and extend them (``NORTHSTAR_LEXICONS``) and every tag shows the
words that made it. The shipped keys are :data:`THEME_KEYS`; a company may add its own.
"""

from __future__ import annotations

from northstar.feedback.lexicon import matcher, normalise

#: The shipped themes, in the order they are shown.
THEME_KEYS: tuple[str, ...] = (
    "onboarding",  # getting started, setup, implementation, go-live, initial migration
    "training",  # documentation, help articles, tutorials, webinars, courses
    "support",  # support team, tickets, response and resolution time
    "reliability",  # bugs, errors, crashes, outages, data loss
    "performance",  # speed, slowness, loading, timeouts, large volumes
    "usability",  # ease of use, interface, navigation, design
    "features",  # functionality, missing features, requests, roadmap
    "integrations",  # API, connectors, SSO, webhooks, sync
    "pricing",  # price, value for money, licences, invoices, billing, contract terms
    "reporting",  # reports, dashboards, analytics, exports
    "account_management",  # CSM, account manager, relationship, communication
)


def find(text: str, language: str | None, extra_dir: str | None = None) -> dict[str, list[str]]:
    """The themes of ``text`` with the terms that matched, in :data:`THEME_KEYS` order then any added ones."""
    m = matcher(language, extra_dir) if language else None
    if m is None or not text:
        return {}
    hits = m.theme_hits(normalise(text, language or ""))
    order = {k: i for i, k in enumerate(THEME_KEYS)}
    return dict(sorted(hits.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))
