"""Success maps: per persona, the ordered milestones on the usual path to its outcome, each with criteria
measured from data.

A file (``NORTHSTAR_HOME/success_maps.yaml``; the demo writes its own) holds::

    maps:
      - persona: growth_marketer
        milestones:
          - key: live
            name: Live
            criteria:
              - {active_users: 3}                          # 3 different people have used the product
              - {touchpoint: kickoff}                      # a touchpoint of this kind happened
          - key: first_dashboard
            name: First dashboard built
            criteria: [{event: build_dashboard, count: 1}] # a product event, counted since the start
          - key: mature
            name: Mature practice
            criteria: [{assessment: maturity_review, min_score: 4}]

A milestone is reached on the day all its criteria first hold. The path is ordered: a milestone counts as
reached only once the one before it is, on the later of the two days. Every criterion is measured from
history, so editing a map re-evaluates every account on the new map from its data; the file's earlier texts
stay in ``success_maps.history/``, and each account's status records the map version it was measured on
(:func:`map_version`, a digest of the persona's map).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import Field, model_validator

from northstar.configfiles import ConfigError, ConfigFile, Strict, parser


class SuccessMapError(ConfigError):
    """A success-map file that cannot be used; the message names the file and each problem's place."""


class Criterion(Strict):
    """Exactly one of: a product event counted since the start (``event`` with ``count``), distinct active
    users (``active_users``), a touchpoint of a kind (``touchpoint``), an assessment's score (``assessment``
    with ``min_score``)."""

    event: str | None = None
    count: int = Field(1, ge=1)
    active_users: int | None = Field(None, ge=1)
    touchpoint: str | None = None
    assessment: str | None = None
    min_score: float | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Criterion:
        kinds = [k for k in ("event", "active_users", "touchpoint", "assessment") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(
                f"a criterion is one of event (with count), active_users, touchpoint, assessment (with "
                f"min_score); got {', '.join(kinds) or 'none'}"
            )
        if self.assessment is not None and self.min_score is None:
            raise ValueError("an assessment criterion needs min_score")
        if self.min_score is not None and self.assessment is None:
            raise ValueError("min_score belongs to an assessment criterion")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in ("event", "active_users", "touchpoint", "assessment") if getattr(self, k) is not None)

    def describe(self) -> str:
        if self.event is not None:
            return f"{self.event} × {self.count}"
        if self.active_users is not None:
            return f"{self.active_users} active users"
        if self.touchpoint is not None:
            return f"a {self.touchpoint} touchpoint"
        return f"{self.assessment} ≥ {self.min_score:g}"


class Milestone(Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,59}$")
    name: str
    description: str = ""
    criteria: list[Criterion] = Field(min_length=1)


class SuccessMap(Strict):
    persona: str
    name: str = ""
    milestones: list[Milestone] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> SuccessMap:
        keys = [m.key for m in self.milestones]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise ValueError(f"milestone keys must be unique within a map: {', '.join(twice)}")
        return self

    def position(self, key: str | None) -> int:
        """1 for the first milestone; 0 for none (not started)."""
        return 0 if key is None else 1 + [m.key for m in self.milestones].index(key)


class MapConfig(Strict):
    maps: list[SuccessMap] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_per_persona(self) -> MapConfig:
        personas = [m.persona for m in self.maps]
        twice = sorted({p for p in personas if personas.count(p) > 1})
        if twice:
            raise ValueError(f"one map per persona: {', '.join(twice)}")
        return self

    def for_persona(self, persona: str | None) -> SuccessMap | None:
        return next((m for m in self.maps if m.persona == persona), None)


_parse = parser(MapConfig, SuccessMapError)


def parse(data: Any, source: str = "success_maps.yaml") -> MapConfig:
    return _parse(data, source)


FILE = ConfigFile("success_maps", parse, None, SuccessMapError)


def map_version(m: SuccessMap) -> str:
    """A digest of the map's content: the same map gives the same version, any edit a new one."""
    canonical = json.dumps(m.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]
