"""Health scorecards as configuration: what a YAML file may say, checked with errors that name the place.

A file holds one or more scorecards::

    scorecards:
      - name: SMB health
        applies_to: {segment: [SMB]}          # optional: segment, persona (lists); none = the default
        missing: skip                         # skip (and re-weight) | {value: 0} | {points: 50}
        bands: [{name: red, below: 40}, {name: yellow, below: 70}, {name: green}]
        groups:
          - name: Usage
            weight: 40
            measures:
              - name: Active days
                source: usage.active_days_30d           # a measure from the catalogue (health.measures)
                weight: 2
                map: {thresholds: [[0, 0], [10, 60], [20, 100]]}   # (value, points), linear between
              - name: Events per user
                expr: "usage.events_30d / greatest(usage.users_30d, 1)"   # a custom expression
                map: {percentile: higher}                # rank among the accounts scored
              - name: Open tickets
                source: support.open_tickets
                map: {bands: [{below: 1, points: 100}, {below: 4, points: 50}, {points: 0}]}
        parents: {rollup: arr}                # a parent's score from its children: mean | arr

Every measure maps its value to 0-100 points; a group is the weighted mean of its measures' points, the
score the weighted mean of the groups (weights need not sum to anything). A measure without a value follows
its ``missing`` rule (the scorecard's by default): ``skip`` leaves it out and the others share its weight.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

Points = Annotated[float, Field(ge=0, le=100)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Band(_Strict):
    """A range of raw values worth ``points``: values below ``below`` (the last band has no ``below``)."""

    below: float | None = None
    points: Points


class ScoreBand(_Strict):
    """A named range of the 0-100 score (``red`` below 40, ...); the last has no ``below``."""

    name: str = Field(min_length=1, max_length=40)
    below: float | None = None


class Thresholds(_Strict):
    """(value, points) pairs, by increasing value: points are interpolated linearly between them and held
    flat beyond the ends (so ``[[0, 100], [5, 0]]`` means fewer is better)."""

    thresholds: list[tuple[float, Points]] = Field(min_length=2)

    @field_validator("thresholds")
    @classmethod
    def _increasing(cls, v: list[tuple[float, float]]) -> list[tuple[float, float]]:
        xs = [x for x, _ in v]
        if any(b <= a for a, b in zip(xs, xs[1:], strict=False)):
            raise ValueError("threshold values must increase")
        return v


class Bands(_Strict):
    bands: list[Band] = Field(min_length=1)

    @field_validator("bands")
    @classmethod
    def _ordered(cls, v: list[Band]) -> list[Band]:
        return _check_bands(v)


class Percentile(_Strict):
    """Points = the value's percentile rank (0-100) among the accounts scored with this scorecard;
    ``lower`` when less is better."""

    percentile: Literal["higher", "lower"]


def _map_kind(v: Any) -> str | None:
    if isinstance(v, dict):
        kinds = [k for k in ("thresholds", "bands", "percentile") if k in v]
        return kinds[0] if len(kinds) == 1 else None
    return next((k for k in ("thresholds", "bands", "percentile") if hasattr(v, k)), None)


Mapping = Annotated[
    Annotated[Thresholds, Tag("thresholds")]
    | Annotated[Bands, Tag("bands")]
    | Annotated[Percentile, Tag("percentile")],
    Discriminator(
        _map_kind,
        custom_error_type="map_kind",
        custom_error_message="a map is one of {thresholds: ...}, {bands: ...} or {percentile: higher|lower}",
    ),
]


class Missing(_Strict):
    """A measure without a value: taken as ``value`` (then mapped) or given ``points`` outright."""

    value: float | None = None
    points: Points | None = None

    @model_validator(mode="after")
    def _one(self) -> Missing:
        if (self.value is None) == (self.points is None):
            raise ValueError("give either value or points")
        return self


MissingRule = Literal["skip"] | Missing


class Measure(_Strict):
    name: str = Field(min_length=1, max_length=80)
    source: str | None = None
    expr: str | None = None
    weight: float = Field(1.0, gt=0)
    map: Mapping
    missing: MissingRule | None = None

    @model_validator(mode="after")
    def _one_input(self) -> Measure:
        if (self.source is None) == (self.expr is None):
            raise ValueError("give either source (a catalogue measure) or expr (a custom expression)")
        return self


class Group(_Strict):
    name: str = Field(min_length=1, max_length=80)
    weight: float = Field(1.0, gt=0)
    measures: list[Measure] = Field(min_length=1)


class AppliesTo(_Strict):
    segment: list[str] | None = None
    persona: list[str] | None = None


class Parents(_Strict):
    rollup: Literal["mean", "arr"] = "arr"


DEFAULT_BANDS = (ScoreBand(name="red", below=40), ScoreBand(name="yellow", below=70), ScoreBand(name="green"))


class Scorecard(_Strict):
    name: str = Field(min_length=1, max_length=80)
    applies_to: AppliesTo | None = None
    missing: MissingRule = "skip"
    bands: list[ScoreBand] = Field(default_factory=lambda: list(DEFAULT_BANDS), min_length=1)
    groups: list[Group] = Field(min_length=1)
    parents: Parents | None = None

    @field_validator("bands")
    @classmethod
    def _ordered(cls, v: list[ScoreBand]) -> list[ScoreBand]:
        return _check_bands(v)

    @model_validator(mode="after")
    def _unique_names(self) -> Scorecard:
        names = [m.name for g in self.groups for m in g.measures]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"measure names must be unique within a scorecard: {', '.join(twice)}")
        return self

    @property
    def measures(self) -> list[Measure]:
        return [m for g in self.groups for m in g.measures]

    def band(self, score: float | None) -> str | None:
        if score is None or score != score:
            return None
        for b in self.bands:
            if b.below is None or score < b.below:
                return b.name
        return self.bands[-1].name


class HealthConfig(_Strict):
    scorecards: list[Scorecard] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_default(self) -> HealthConfig:
        names = [s.name for s in self.scorecards]
        if len(set(names)) != len(names):
            raise ValueError("scorecard names must be unique")
        if sum(s.applies_to is None for s in self.scorecards) > 1:
            raise ValueError("at most one scorecard may apply to every account (no applies_to)")
        return self

    def for_account(self, segment: str | None, persona: str | None) -> Scorecard | None:
        """The first scorecard whose ``applies_to`` matches, else the default (the one without it)."""
        for s in self.scorecards:
            a = s.applies_to
            if a is None:
                continue
            if (a.segment is None or segment in a.segment) and (a.persona is None or persona in a.persona):
                return s
        return next((s for s in self.scorecards if s.applies_to is None), None)


def _check_bands(v: list[Any]) -> list[Any]:
    *head, last = v
    if last.below is not None:
        raise ValueError("the last band has no 'below': it takes every value above the others")
    limits = [b.below for b in head]
    if any(x is None for x in limits):
        raise ValueError("every band but the last needs 'below'")
    if any(b <= a for a, b in zip(limits, limits[1:], strict=False)):
        raise ValueError("band limits ('below') must increase")
    return v


class ScorecardError(ValueError):
    """A scorecard file that cannot be used; the message names the file and each problem's place."""


def parse(data: Any, source: str = "<config>") -> HealthConfig:
    try:
        return HealthConfig.model_validate(data)
    except ValidationError as exc:
        lines = []
        for e in exc.errors():
            where = _place(e["loc"])
            msg = e["msg"].removeprefix("Value error, ")
            lines.append(f"{source}: {where}: {msg}" if where else f"{source}: {msg}")
        raise ScorecardError("\n".join(dict.fromkeys(lines))) from None


def load(path: Path) -> HealthConfig:
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ScorecardError(f"{path}: cannot read: {exc}") from None
    return parse(data, str(path))


def _place(loc: tuple[Any, ...]) -> str:
    """``scorecards[0].groups[1].measures[2].map`` from pydantic's location (union branch tags dropped)."""
    out, previous = "", None
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif previous == "map" and part in ("thresholds", "bands", "percentile"):
            pass  # the tag of the mapping's kind; the field of the same name follows
        elif isinstance(part, str) and (part == "Missing" or part.startswith(("function-", "literal["))):
            pass
        else:
            out += f".{part}" if out else str(part)
        previous = part
    return out
