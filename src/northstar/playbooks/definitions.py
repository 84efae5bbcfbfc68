"""Playbooks as configuration: a trigger, an optional filter, a cooldown, and actions.

A file (``NORTHSTAR_HOME/playbooks.yaml``; the demo writes its own) holds::

    playbooks:
      - key: stalled-first-value
        name: Stuck before first value
        when: {milestone_stalled: {states: [stuck], milestone: first_dashboard}}
        only: [{field: mrr, gte: 500}]          # rules as in personas.yaml (fields, operators)
        cooldown_days: 30                      # an account fires again at most this often
        actions:
          - task: {title: "{{ account.name }} is stuck before {{ milestone }}", priority: high, due_in_days: 7}
          - email:
              to: [champion, admin]            # the first active contact with an e-mail in this role order
              subject: {en: "Can we help with {{ milestone }}?", it: "Possiamo aiutarvi con {{ milestone }}?"}
              body: {en: "Hello {{ contact.name }}, ...", it: "Buongiorno {{ contact.name }}, ..."}
          - webhook: {url: "https://hooks.slack.com/services/...", text: "{{ account.name }}: {{ reason }}"}
          - set: {field: attributes.playbook, value: stalled}

Triggers (``when``, exactly one):

- ``event: {type: feedback.received, where: {survey_type: nps, score_max: 6}}``: an event arrives (the REST
  API's writes, survey answers, identified users); fired within seconds by the worker;
- ``survey_answer: {survey_type: nps, score_max: 6}``: shorthand for the event above;
- ``milestone_stalled: {states: [behind, stuck], milestone: KEY}``: the account's state on its success map,
  optionally only on the way to milestone KEY;
- ``health_below: {score: 50}`` or ``{band: red}``; ``risk_above: {risk: 0.3}``;
- ``renewal_in_days: {days: 90}``: the renewal falls within the next N days;
- ``segment: {enter: [rules]}`` or ``{leave: [rules]}``: the account starts or stops matching the rules;
- ``schedule: {every_days: 7}``: every matching account, every N days.

Texts are Jinja templates (sandboxed) with ``account``, ``contact``, ``owner``, ``reason``, ``milestone``,
``days_in_stage``, ``usual_days``, ``health_score``, ``risk``, ``renewal_date``, ``event`` and ``link`` (the
account's page); e-mail texts are given per language and sent in the contact's.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from northstar.configfiles import ConfigError, ConfigFile, Strict, parser
from northstar.success.personas import Rule
from northstar.surveys.definitions import Text

ROLES = ("decision_maker", "champion", "admin", "user")
#: Events a playbook can wait for (``northstar.webhooks.service.EVENTS`` are the same names).
EVENT_TYPES = (
    "account.created",
    "account.updated",
    "account.deleted",
    "contact.created",
    "contact.updated",
    "feedback.received",
)


class PlaybookError(ConfigError):
    """A playbook file that cannot be used; the message names the file and each problem's place."""


class EventTrigger(Strict):
    type: Literal[EVENT_TYPES]  # type: ignore[valid-type]
    #: The event's data must have these values; ``<field>_min`` / ``<field>_max`` bound a number.
    where: dict[str, Any] = Field(default_factory=dict)


class SurveyAnswer(Strict):
    survey_type: Literal["nps", "csat", "ces"] | None = None
    score_min: int | None = None
    score_max: int | None = None


class MilestoneStalled(Strict):
    states: list[Literal["behind", "stuck", "unknown"]] = Field(default_factory=lambda: ["stuck"], min_length=1)
    milestone: str | None = None


class HealthBelow(Strict):
    score: float | None = None
    band: str | None = None

    @model_validator(mode="after")
    def _one(self) -> HealthBelow:
        if (self.score is None) == (self.band is None):
            raise ValueError("health_below takes a score or a band")
        return self


class RiskAbove(Strict):
    risk: float = Field(gt=0, lt=1)


class RenewalIn(Strict):
    days: int = Field(ge=1, le=730)


class SegmentChange(Strict):
    enter: list[Rule] | None = None
    leave: list[Rule] | None = None

    @model_validator(mode="after")
    def _one(self) -> SegmentChange:
        if (self.enter is None) == (self.leave is None):
            raise ValueError("segment takes enter or leave (a list of rules)")
        return self

    @property
    def rules(self) -> list[Rule]:
        return list(self.enter if self.enter is not None else self.leave or [])


class Schedule(Strict):
    every_days: int = Field(ge=1, le=366)


class When(Strict):
    event: EventTrigger | None = None
    survey_answer: SurveyAnswer | None = None
    milestone_stalled: MilestoneStalled | None = None
    health_below: HealthBelow | None = None
    risk_above: RiskAbove | None = None
    renewal_in_days: RenewalIn | None = None
    segment: SegmentChange | None = None
    schedule: Schedule | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> When:
        given = [k for k in type(self).model_fields if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                f"when: exactly one trigger of {', '.join(type(self).model_fields)}; got {given or 'none'}"
            )
        return self

    @property
    def kind(self) -> str:
        return next(k for k in type(self).model_fields if getattr(self, k) is not None)

    @property
    def on_events(self) -> bool:
        return self.kind in ("event", "survey_answer")


class TaskAction(Strict):
    title: str = Field(min_length=1, max_length=300)
    description: str = ""
    priority: Literal["low", "normal", "high", "urgent"] = "normal"
    due_in_days: int | None = Field(None, ge=0, le=365)


class EmailAction(Strict):
    to: list[Literal[ROLES]] = Field(default_factory=lambda: ["champion", "decision_maker", "admin"], min_length=1)  # type: ignore[valid-type]
    subject: Text
    body: Text

    @field_validator("to", mode="before")
    @classmethod
    def _listed(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v


class WebhookAction(Strict):
    url: str = Field(pattern=r"^https?://")
    text: str


class SetAction(Strict):
    field: str
    value: Any

    @field_validator("field")
    @classmethod
    def _settable(cls, v: str) -> str:
        if v == "lifecycle_stage" or (v.startswith("attributes.") and len(v) > len("attributes.")):
            return v
        raise ValueError("set: field is lifecycle_stage or attributes.<key>")

    @model_validator(mode="after")
    def _stage_known(self) -> SetAction:
        from northstar.accounts.models import LifecycleStage

        stages = [s.value for s in LifecycleStage]
        if self.field == "lifecycle_stage" and self.value not in stages:
            raise ValueError(f"set: lifecycle_stage is one of {', '.join(stages)}")
        return self


class EnrolAction(Strict):
    """Enrol the account in a success vehicle (``vehicles.yaml``), unless it is enrolled and not finished."""

    vehicle: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,59}$")


class Action(Strict):
    task: TaskAction | None = None
    email: EmailAction | None = None
    webhook: WebhookAction | None = None
    set: SetAction | None = None
    enrol: EnrolAction | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Action:
        given = [k for k in type(self).model_fields if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"an action is one of task, email, webhook, set, enrol; got {given or 'none'}")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in type(self).model_fields if getattr(self, k) is not None)


class Playbook(Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,59}$")
    name: str
    description: str = ""
    enabled: bool = True
    when: When
    only: list[Rule] = Field(default_factory=list)
    cooldown_days: int = Field(7, ge=0, le=3650)
    actions: list[Action] = Field(min_length=1)


class PlaybookConfig(Strict):
    playbooks: list[Playbook] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> PlaybookConfig:
        keys = [p.key for p in self.playbooks]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise ValueError(f"playbook keys must be unique: {', '.join(twice)}")
        return self

    def get(self, key: str) -> Playbook | None:
        return next((p for p in self.playbooks if p.key == key), None)


_parse = parser(PlaybookConfig, PlaybookError)


def parse(data: Any, source: str = "playbooks.yaml") -> PlaybookConfig:
    return _parse(data, source)


FILE = ConfigFile("playbooks", parse, None, PlaybookError)
