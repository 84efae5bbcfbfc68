"""Imports every domain's models so ``Base.metadata`` is complete (for Alembic and table creation)."""

from northstar.accounts.models import Account, Contact
from northstar.auth.models import ApiKey, User
from northstar.db.base import Base
from northstar.db.versions import DataVersion
from northstar.feedback.models import Feedback, SurveyInvitation
from northstar.health.models import HealthDaily, HealthOverride
from northstar.ingest.models import ImportRun
from northstar.playbooks.models import Cursor, DomainEvent, PlaybookMember, PlaybookRun
from northstar.portfolio.models import AccountSummary
from northstar.revenue.models import ExchangeRate, Invoice, Subscription
from northstar.savedviews.models import SavedView
from northstar.success.models import (
    Assessment,
    MilestoneReached,
    SuccessGoal,
    SuccessPlan,
    SuccessStatus,
    VehicleEnrolment,
)
from northstar.support.models import Ticket
from northstar.tasks.models import Task, TaskComment
from northstar.touchpoints.models import Touchpoint
from northstar.usage.models import TrackedUser
from northstar.webhooks.models import Webhook, WebhookDelivery

__all__ = [
    "Account",
    "AccountSummary",
    "ApiKey",
    "Assessment",
    "Base",
    "Contact",
    "Cursor",
    "DomainEvent",
    "DataVersion",
    "ExchangeRate",
    "Feedback",
    "SurveyInvitation",
    "HealthDaily",
    "HealthOverride",
    "ImportRun",
    "Invoice",
    "MilestoneReached",
    "PlaybookMember",
    "PlaybookRun",
    "SavedView",
    "Subscription",
    "SuccessGoal",
    "SuccessPlan",
    "SuccessStatus",
    "VehicleEnrolment",
    "Task",
    "TaskComment",
    "Ticket",
    "Touchpoint",
    "TrackedUser",
    "User",
    "Webhook",
    "WebhookDelivery",
]
