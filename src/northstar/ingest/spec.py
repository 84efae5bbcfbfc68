"""What each importable kind looks like: fields, types, references and the aliases other tools use.

Aliases cover the column names of standard Salesforce and HubSpot exports for accounts and contacts, so
those files import with no mapping file. Matching ignores case, spaces, dashes and underscores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from northstar.accounts.models import Account, Contact, ContactRole, LifecycleStage
from northstar.auth.models import Role, User
from northstar.db.base import Base
from northstar.feedback.models import Feedback, SurveyInvitation, SurveyType
from northstar.revenue.models import ExchangeRate, Invoice, InvoiceStatus, Subscription, SubscriptionStatus
from northstar.success.models import (
    Assessment,
    EnrolmentStatus,
    PlanStatus,
    SuccessGoal,
    SuccessPlan,
    VehicleEnrolment,
)
from northstar.support.models import Ticket, TicketChannel, TicketPriority, TicketStatus
from northstar.touchpoints.models import Channel, Direction, Touchpoint

FieldType = Literal["str", "text", "int", "float", "date", "datetime", "bool", "json", "email"]


@dataclass(frozen=True)
class Field:
    """One importable field. ``ref`` names the kind whose external id the value holds."""

    name: str
    type: FieldType = "str"
    required: bool = False
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] | None = None
    ref: str | None = None
    #: The model attribute written; defaults to ``name`` (refs write ``<name>_id``).
    column: str | None = None

    @property
    def target(self) -> str:
        return self.column or (f"{self.name}_id" if self.ref else self.name)


@dataclass(frozen=True)
class Kind:
    name: str
    model: type[Base] | None
    fields: tuple[Field, ...]
    #: The natural key in the file (external id, or e-mail for staff users).
    key: str = "external_id"
    #: Unmapped columns are kept in the ``attributes`` JSON column.
    keeps_extra: bool = False
    #: Composite fields built from parts when the whole is missing, e.g. name from first and last name.
    composites: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


def _choices(enum_cls: Any) -> tuple[str, ...]:
    return tuple(m.value for m in enum_cls)


def normalise(column: str) -> str:
    """Column-name key for matching: lower case, no spaces, dashes, dots or underscores."""
    return re.sub(r"[\s_\-./()]+", "", column.strip().lower())


ID = Field("external_id", required=True)

KINDS: dict[str, Kind] = {
    "users": Kind(
        "users",
        User,
        (
            Field("email", "email", required=True, aliases=("e-mail", "user email")),
            Field("name", aliases=("full name", "display name")),
            Field("role", choices=_choices(Role)),
            Field("locale", aliases=("language",)),
        ),
        key="email",
    ),
    "accounts": Kind(
        "accounts",
        Account,
        (
            Field(
                "external_id",
                required=True,
                aliases=("account id", "id", "record id", "company id", "account_id", "account external id"),
            ),
            Field("name", required=True, aliases=("account name", "company name", "company")),
            Field(
                "parent",
                ref="accounts",
                aliases=("parent account id", "parentid", "parent company id", "parent external id"),
            ),
            Field("domain", aliases=("website", "company domain name", "domain name")),
            Field("segment", aliases=("type", "customer segment", "tier")),
            Field("industry"),
            Field("region", aliases=("billing state/province", "sales region", "territory")),
            Field("country", aliases=("billing country", "billingcountry", "country/region")),
            Field("owner", ref="users", aliases=("account owner", "owner email", "company owner", "csm")),
            Field("persona"),
            Field("lifecycle_stage", choices=_choices(LifecycleStage), aliases=("lifecycle stage", "stage")),
            Field("customer_since", "date", aliases=("customer since", "became a customer date")),
            Field("wallet_estimate", "float", aliases=("wallet", "annual spend estimate")),
            Field("attributes", "json"),
        ),
        keeps_extra=True,
    ),
    "contacts": Kind(
        "contacts",
        Contact,
        (
            Field("external_id", required=True, aliases=("contact id", "id", "record id", "contact_id")),
            Field(
                "account",
                required=True,
                ref="accounts",
                aliases=(
                    "account id",
                    "accountid",
                    "account_id",
                    "associated company id",
                    "associated company ids",
                    "associated company ids (primary)",
                    "company id",
                ),
            ),
            Field("name", aliases=("full name", "contact name")),
            Field("first_name", aliases=("first name", "firstname")),
            Field("last_name", aliases=("last name", "lastname")),
            Field("email", "email", aliases=("email address", "e-mail")),
            Field("title", aliases=("job title",)),
            Field("role", choices=_choices(ContactRole), aliases=("contact role", "buying role")),
            Field("language", aliases=("preferred language", "language preference")),
            Field("attributes", "json"),
        ),
        keeps_extra=True,
        composites={"name": ("first_name", "last_name")},
    ),
    "subscriptions": Kind(
        "subscriptions",
        Subscription,
        (
            ID,
            Field("account", required=True, ref="accounts", aliases=("account id", "account_id")),
            Field("product", required=True),
            Field("product_line", required=True, aliases=("product line",)),
            Field("plan"),
            Field("seats", "int", aliases=("quantity",)),
            Field("mrr", "float", required=True),
            Field("currency"),
            Field("start_date", "date", required=True, aliases=("start", "start date")),
            Field("end_date", "date", aliases=("end", "end date")),
            Field("renewal_date", "date", aliases=("renewal", "renewal date")),
            Field("status", required=True, choices=_choices(SubscriptionStatus)),
            Field("billing_period", choices=("monthly", "quarterly", "annual"), aliases=("billing period",)),
        ),
    ),
    "invoices": Kind(
        "invoices",
        Invoice,
        (
            ID,
            Field("account", required=True, ref="accounts", aliases=("account id", "account_id")),
            Field("subscription", ref="subscriptions", aliases=("subscription id", "subscription_id")),
            Field("amount", "float", required=True),
            Field("currency"),
            Field("issued_on", "date", required=True, aliases=("issued", "invoice date")),
            Field("due_on", "date", aliases=("due", "due date")),
            Field("paid_at", "datetime", aliases=("paid", "paid date")),
            Field("failed_attempts", "int", aliases=("failed attempts", "attempt count")),
            Field("status", choices=_choices(InvoiceStatus)),
        ),
    ),
    "tickets": Kind(
        "tickets",
        Ticket,
        (
            ID,
            Field("account", required=True, ref="accounts", aliases=("account id", "account_id")),
            Field("contact", ref="contacts", aliases=("contact id", "requester id", "contact_id")),
            Field("subject"),
            Field("category", aliases=("type",)),
            Field("priority", choices=_choices(TicketPriority)),
            Field("channel", choices=_choices(TicketChannel), aliases=("via",)),
            Field("status", choices=_choices(TicketStatus)),
            Field("opened_at", "datetime", required=True, aliases=("created at", "created", "opened")),
            Field("first_response_at", "datetime", aliases=("first response at", "first reply at")),
            Field("resolved_at", "datetime", aliases=("resolved at", "solved at")),
            Field("satisfaction", "int", aliases=("satisfaction score", "csat")),
        ),
    ),
    "touchpoints": Kind(
        "touchpoints",
        Touchpoint,
        (
            ID,
            Field("account", required=True, ref="accounts", aliases=("account id", "account_id")),
            Field("contact", ref="contacts", aliases=("contact id", "contact_id")),
            Field("owner", ref="users", aliases=("owner email", "logged by")),
            Field("channel", required=True, choices=_choices(Channel)),
            Field("direction", choices=_choices(Direction)),
            Field("kind", aliases=("type",)),
            Field("occurred_at", "datetime", required=True, aliases=("date", "occurred", "timestamp")),
            Field("subject"),
            Field("summary", "text", aliases=("notes", "description", "body")),
        ),
    ),
    "feedback": Kind(
        "feedback",
        Feedback,
        (
            ID,
            Field("account", ref="accounts", aliases=("account id", "account_id")),
            Field("contact", ref="contacts", aliases=("contact id", "contact_id")),
            Field("survey_type", required=True, choices=_choices(SurveyType), aliases=("survey type", "type")),
            Field("score", "int"),
            Field("comment", "text", aliases=("comments", "text", "verbatim")),
            Field("language", aliases=("lang",)),
            Field("touchpoint"),
            Field("channel"),
            Field("submitted_at", "datetime", required=True, aliases=("submitted", "date", "responded at")),
            # free text from e-mail, social media or review sites: tied to the contact with this address, else
            # to the account whose domain it is (``records._match_authors``); not stored itself
            Field("author_email", aliases=("email", "e-mail", "author email", "from")),
        ),
    ),
    "assessments": Kind(
        "assessments",
        Assessment,
        (
            ID,
            Field("account", required=True, ref="accounts", aliases=("account id", "account_id")),
            Field("assessor", ref="users", aliases=("assessor email",)),
            Field("kind", required=True, aliases=("type", "assessment")),
            Field("score", "float"),
            Field("max_score", "float", aliases=("max score", "out of")),
            Field("assessed_at", "datetime", required=True, aliases=("date", "assessed")),
            Field("notes", "text"),
        ),
    ),
    "success_plans": Kind(
        "success_plans",
        SuccessPlan,
        (
            ID,
            Field("account", required=True, ref="accounts", aliases=("account id", "account_id")),
            Field("title", required=True, aliases=("name", "plan")),
            Field("status", choices=_choices(PlanStatus)),
            Field("target_milestone", aliases=("target milestone", "milestone")),
            Field("owner", ref="users", aliases=("owner email",)),
            Field("starts_on", "date", required=True, aliases=("start", "start date", "starts")),
            Field("due_on", "date", aliases=("due", "due date", "target date")),
            # the figures the account's ROI model needs (roi.yaml's inputs), e.g. {"hours_per_report": 3}
            Field("inputs", "json", aliases=("roi inputs",)),
            Field("notes", "text"),
        ),
    ),
    "goals": Kind(
        "goals",
        SuccessGoal,
        (
            ID,
            Field("plan", required=True, ref="success_plans", aliases=("plan id", "plan_id", "success plan")),
            Field("outcome", required=True, aliases=("goal", "desired outcome")),
            Field("metric"),
            Field("unit"),
            Field("start_value", "float", aliases=("start", "baseline")),
            Field("current_value", "float", aliases=("current", "now")),
            Field("target_value", "float", aliases=("target",)),
            Field("due_on", "date", aliases=("due", "due date")),
            Field("owner", ref="users", aliases=("owner email",)),
        ),
    ),
    "enrolments": Kind(
        "enrolments",
        VehicleEnrolment,
        (
            ID,
            Field("account", required=True, ref="accounts", aliases=("account id", "account_id")),
            Field("contact", ref="contacts", aliases=("contact id", "contact_id", "participant")),
            Field("vehicle", required=True, aliases=("program", "programme", "vehicle key")),
            Field("enrolled_on", "date", required=True, aliases=("enrolled", "enrolled on", "start", "date")),
            Field("completed_on", "date", aliases=("completed", "completed on", "finished")),
            Field("status", choices=_choices(EnrolmentStatus)),
            Field("source"),
        ),
    ),
    "invitations": Kind(
        "invitations",
        SurveyInvitation,
        (
            ID,
            Field("account", required=True, ref="accounts", aliases=("account id", "account_id")),
            Field("contact", ref="contacts", aliases=("contact id", "contact_id", "recipient")),
            Field(
                "survey_type",
                required=True,
                choices=tuple(t for t in _choices(SurveyType) if t != "text"),
                aliases=("survey type", "type"),
            ),
            Field("touchpoint"),
            Field("channel"),
            Field("language", aliases=("lang",)),
            Field("campaign", aliases=("survey", "survey name", "campaign name")),
            Field("sent_at", "datetime", required=True, aliases=("sent", "sent at", "invited at", "date")),
            Field("response", ref="feedback", column="feedback_id", aliases=("feedback", "response id", "answer")),
        ),
    ),
    "rates": Kind(
        "rates",
        ExchangeRate,
        (
            Field("key"),
            Field("currency", required=True, aliases=("currency code", "from")),
            Field("valid_from", "date", required=True, aliases=("date", "valid from", "as of", "effective")),
            Field("rate", "float", required=True, aliases=("exchange rate", "fx rate", "to reporting")),
        ),
        key="key",
        composites={"key": ("currency", "valid_from")},
    ),
    "events": Kind(
        "events",
        None,
        (
            Field("event_id", aliases=("message id", "messageid", "id", "event id")),
            Field("account", required=True, ref="accounts", aliases=("account id", "account_id", "group id")),
            Field("user_id", aliases=("user id", "userid", "contact", "contact id", "contact_id")),
            Field("event", required=True, aliases=("event name", "name", "action")),
            Field("timestamp", "datetime", required=True, aliases=("time", "ts", "occurred at", "sent at")),
            Field("properties", "json", aliases=("props", "context")),
        ),
        key="event_id",
    ),
}


def kind(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unknown kind {name!r}: choose one of {', '.join(KINDS)}") from None
