"""Surveys as configuration: what a YAML file may say, checked with errors that name the place.

A file (``NORTHSTAR_HOME/surveys.yaml``, else the shipped ``default_surveys.yaml``) holds::

    throttle_days: 30            # no contact is asked more often than this, whatever the survey
    surveys:
      - key: relationship-nps    # a stable name: invitations and answers keep it
        type: nps                # nps (0-10) | csat (1-5) | ces (1-7)
        touchpoint: relationship # the moment asked about: onboarding, support, renewal, qbr, ...
        every_days: 180          # optional: ask each contact again after this many days (a schedule)
        expires_days: 30         # the personal link works this long
        question: {en: "How likely ...?", it: "...", ja: "...", ar: "...", pl: "..."}
        follow_up:               # the question after the score, by the score's range
          - {scores: [0, 6], text: {en: "What should we do better?"}}
          - {scores: [7, 10], text: {en: "What do you value most?"}}
        questions:               # optional custom questions
          - {key: role, kind: choice, text: {en: "Your role?"}, choices: [{en: Admin}, {en: User}]}
          - {key: ease, kind: rating, text: {en: "How easy was setup?"}, scale: [1, 5]}
          - {key: wish, kind: text, text: {en: "Anything else?"}}

Every text is a mapping from language to words; English is required and stands in for a language a text
lacks (``Text.get``). The shipped surveys are complete in English, Italian, Japanese, Arabic and Polish.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from northstar.config import Settings
from northstar.configfiles import ConfigError, ConfigFile, Strict, parser
from northstar.feedback.models import SCALES, SurveyType

DEFAULT = Path(__file__).with_name("default_surveys.yaml")


class Text(Strict):
    """Words in several languages (codes as keys); ``en`` is required."""

    model_config = ConfigDict(extra="allow", frozen=True)
    en: str

    @model_validator(mode="after")
    def _languages(self) -> Text:
        for code, words in (self.model_extra or {}).items():
            if not isinstance(words, str) or not words.strip():
                raise ValueError(f"the {code} text must be words")
            if not (2 <= len(code) <= 3 and code.isalpha() and code.islower()):
                raise ValueError(f"{code!r} is not a language code (en, it, ja, ar, pl ...)")
        return self

    def get(self, lang: str | None) -> str:
        """The words in ``lang``, else English."""
        extra = self.model_extra or {}
        return str(extra.get(lang or "en", self.en)) if lang != "en" else self.en

    def languages(self) -> set[str]:
        return {"en", *(self.model_extra or {})}


class FollowUp(Strict):
    scores: Annotated[list[int], Field(min_length=2, max_length=2)]
    text: Text

    @field_validator("scores")
    @classmethod
    def _ordered(cls, v: list[int]) -> list[int]:
        if v[0] > v[1]:
            raise ValueError("scores run from the lower to the higher")
        return v


class Question(Strict):
    key: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
    kind: Literal["rating", "choice", "text"]
    text: Text
    choices: list[Text] = []
    scale: Annotated[list[int], Field(min_length=2, max_length=2)] = [1, 5]

    @model_validator(mode="after")
    def _shape(self) -> Question:
        if self.kind == "choice" and len(self.choices) < 2:
            raise ValueError("a choice question needs at least two choices")
        if self.kind != "choice" and self.choices:
            raise ValueError(f"a {self.kind} question has no choices")
        if self.scale[0] >= self.scale[1]:
            raise ValueError("a rating's scale runs from the lower to the higher")
        return self


class Trigger(Strict):
    """When a survey asks by itself (``northstar surveys run``, and the worker each day), by ``when``:

    * ``ticket_resolved``: the ticket's contact, within ``within_days`` of the resolution;
    * ``touchpoint``: after a touchpoint of ``kind`` (e.g. ``qbr``), its contact or else the audience;
    * ``renewal``: the audience, ``days_before`` a renewal date (asked in the week up to that day);
    * ``milestone``: the audience, within ``within_days`` of the account reaching the success-map milestone
      ``kind`` (e.g. ``kind: live``: an onboarding survey once the customer is live);
    * ``schedule``: the audience, again every ``every_days`` (the survey's own setting)."""

    when: Literal["ticket_resolved", "touchpoint", "renewal", "schedule", "milestone"]  # ("on" is YAML's true)
    within_days: Annotated[int, Field(ge=1, le=90)] = 7
    days_before: Annotated[int, Field(ge=1, le=365)] = 60
    kind: str | None = None

    @model_validator(mode="after")
    def _needs(self) -> Trigger:
        if self.when == "touchpoint" and not self.kind:
            raise ValueError("a touchpoint trigger names the touchpoint's kind (e.g. kind: qbr)")
        if self.when == "milestone" and not self.kind:
            raise ValueError("a milestone trigger names the milestone's key as kind (e.g. kind: live)")
        return self


class Survey(Strict):
    key: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,59}$")]
    type: Literal["nps", "csat", "ces"]
    touchpoint: Annotated[str, Field(min_length=1, max_length=50)]
    question: Text
    follow_up: list[FollowUp] = []
    questions: list[Question] = []
    every_days: Annotated[int, Field(ge=1)] | None = None
    expires_days: Annotated[int, Field(ge=1, le=365)] = 30
    trigger: Trigger | None = None
    #: The contacts' roles asked when the event names no contact (and by schedules and renewals).
    audience: list[Literal["decision_maker", "champion", "admin", "user"]] = ["decision_maker", "champion"]

    @property
    def scale(self) -> tuple[int, int]:
        return SCALES[SurveyType(self.type)]

    @model_validator(mode="after")
    def _consistent(self) -> Survey:
        lo, hi = self.scale
        for f in self.follow_up:
            if f.scores[0] < lo or f.scores[1] > hi:
                raise ValueError(f"follow_up scores {f.scores} are outside the {self.type} scale {lo}-{hi}")
        covered = sorted(s for f in self.follow_up for s in range(f.scores[0], f.scores[1] + 1))
        if len(covered) != len(set(covered)):
            raise ValueError("follow_up score ranges overlap")
        keys = [q.key for q in self.questions]
        if len(keys) != len(set(keys)):
            raise ValueError("question keys repeat")
        if self.trigger is not None and self.trigger.when == "schedule" and not self.every_days:
            raise ValueError("a scheduled survey says how often: every_days")
        return self

    def follow_up_for(self, score: int) -> Text | None:
        return next((f.text for f in self.follow_up if f.scores[0] <= score <= f.scores[1]), None)


class SurveyConfig(Strict):
    throttle_days: Annotated[int, Field(ge=0)] = 30
    surveys: Annotated[list[Survey], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique(self) -> SurveyConfig:
        keys = [s.key for s in self.surveys]
        if len(keys) != len(set(keys)):
            raise ValueError(f"survey keys repeat: {sorted({k for k in keys if keys.count(k) > 1})}")
        return self

    def get(self, key: str) -> Survey:
        for s in self.surveys:
            if s.key == key:
                return s
        raise KeyError(f"no survey {key!r}; the surveys are {', '.join(s.key for s in self.surveys)}")


class SurveyError(ConfigError):
    """A survey file that cannot be used; the message names the file and each problem's place."""


_parse = parser(SurveyConfig, SurveyError)


def parse(data: Any, source: str = "<surveys>") -> SurveyConfig:
    return _parse(data, source)


#: ``surveys.yaml`` in the data folder, else the shipped surveys; saved with its history (``configfiles``).
FILE = ConfigFile("surveys", parse, DEFAULT, SurveyError)


def load(path: Path) -> SurveyConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SurveyError(f"{path}: cannot read: {exc}") from None
    return FILE.read(text, str(path))


def load_surveys(settings: Settings) -> SurveyConfig:
    """The installation's surveys (``surveys.yaml`` in the data folder), else the shipped ones."""
    config = FILE.load(settings)
    assert config is not None  # the shipped default exists
    return config


def history_dir(settings: Settings) -> Path:
    return FILE.history_dir(settings)


def save_surveys(settings: Settings, text: str, by: str = "") -> SurveyConfig:
    """Check ``text`` and make it the installation's surveys (``surveys.yaml``), keeping the one it replaces
    in ``surveys.history/`` (named by time and author): nothing is lost, and an invalid text changes nothing
    (``SurveyError`` names each problem's place)."""
    return FILE.save(settings, text, by)


def current_text(settings: Settings) -> str:
    return FILE.text(settings)
