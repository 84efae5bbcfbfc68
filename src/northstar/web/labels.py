"""Words the pages show for values stored in English (bands, channels, roles, stages, priorities ...): marked
for the catalogues here, translated where they are shown (``label``). A value not listed is shown as stored
(a band or persona a user named, for example)."""

from __future__ import annotations

from northstar.i18n import N_, gettext

LABELS = {
    # health bands of the default scorecard
    "red": N_("red"),
    "yellow": N_("yellow"),
    "green": N_("green"),
    # billing periods
    "monthly": N_("monthly"),
    "quarterly": N_("quarterly"),
    "semiannual": N_("semiannual"),
    "annual": N_("annual"),
    # channels
    "email": N_("e-mail"),
    "call": N_("call"),
    "meeting": N_("meeting"),
    "web": N_("web"),
    "in_app": N_("in app"),
    "social": N_("social"),
    "in_person": N_("in person"),
    "note": N_("note"),
    "chat": N_("chat"),
    "phone": N_("phone"),
    "portal": N_("portal"),
    # the timeline's filters
    "touchpoint": N_("touchpoints"),
    "ticket": N_("tickets"),
    "feedback": N_("feedback"),
    "usage": N_("usage"),
    "assessment": N_("assessments"),
    # kinds of success vehicle (onboarding is a lifecycle stage, training a comment theme, both below)
    "community": N_("community"),
    "enablement": N_("enablement"),
    "messages": N_("automated messages"),
    "other": N_("other"),
    # tasks
    "due": N_("due"),
    "overdue": N_("overdue"),
    "open": N_("open"),
    "done": N_("done"),
    "canceled": N_("canceled"),
    "low": N_("low"),
    "normal": N_("normal"),
    "high": N_("high"),
    "urgent": N_("urgent"),
    "manual": N_("manual"),
    "playbook": N_("playbook"),
    "survey": N_("survey"),
    # users' roles
    "admin": N_("admin"),
    "cs_ops": N_("CS operations"),
    "csm": N_("CSM"),
    "viewer": N_("viewer"),
    # contacts' roles
    "decision_maker": N_("decision maker"),
    "champion": N_("champion"),
    "user": N_("user"),
    # lifecycle stages
    "onboarding": N_("onboarding"),
    "adoption": N_("adoption"),
    "expansion": N_("expansion"),
    "renewal": N_("renewal"),
    "at_risk": N_("at risk"),
    "churned": N_("churned"),
    # the voice of the customer: groupings, score ranges, touchpoints
    "quarter": N_("quarter"),
    "month": N_("month"),
    "segment": N_("segment"),
    "persona": N_("persona"),
    "language": N_("language"),
    "channel": N_("channel"),
    "detractors": N_("NPS detractors (0-6)"),
    "passives": N_("NPS passives (7-8)"),
    "promoters": N_("NPS promoters (9-10)"),
    "csat_low": N_("CSAT 1-2"),
    "csat_high": N_("CSAT 4-5"),
    "ces_low": N_("CES 1-3 (hard)"),
    "ces_high": N_("CES 5-7 (easy)"),
    "relationship": N_("relationship"),
    "support": N_("support"),
    "implementation": N_("implementation"),
    "qbr": N_("QBR"),
    # comment analysis: sentiments and themes (feedback.themes; "onboarding" and "support" are above)
    "positive": N_("positive"),
    "neutral": N_("neutral"),
    "negative": N_("negative"),
    "training": N_("training and documentation"),
    "reliability": N_("reliability"),
    "performance": N_("performance"),
    "usability": N_("ease of use"),
    "features": N_("features"),
    "integrations": N_("integrations"),
    "pricing": N_("pricing and billing"),
    "reporting": N_("reporting"),
    "account_management": N_("account management"),
    # where an account stands on its success map (success.progress.STATES)
    "achieved": N_("achieved"),
    "on_track": N_("on track"),
    "behind": N_("behind"),
    "stuck": N_("stuck"),
    "unknown": N_("no pace yet"),
    "inactive": N_("not paying"),
    # a success plan's goals (success.plans.goal_status; at_risk is above)
    "missed": N_("missed"),
    "no_target": N_("no target"),
    # the measures' sources (risk drivers)
    "Usage": N_("Usage"),
    "Feedback": N_("Feedback"),
    "Support": N_("Support"),
    "Billing": N_("Billing"),
    "Revenue": N_("Revenue"),
    "Relationship": N_("Relationship"),
    "Segment": N_("Segment"),
}


def label(value: object) -> str:
    """``value`` in the request's language when it is one of ``LABELS``, else as stored ("–" for nothing)."""
    if value is None or value == "":
        return "–"
    text = str(getattr(value, "value", value))
    return gettext(LABELS[text]) if text in LABELS else text
