"""``POST /api/v1/surveys/{key}/invitations``: a personal survey link for a contact, for the product to show
in its own pages (the in-app widget, ``/static/survey-widget.js``) or to send by its own channel. The same
rules hold as for e-mail: throttling, once per trigger, the contact's language."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from northstar.accounts.models import Contact
from northstar.api.rest import WRITE, ErrorReply
from northstar.db.engine import session_scope
from northstar.surveys.definitions import SurveyError, load_surveys
from northstar.surveys.service import SurveyRefused, invite

router = APIRouter(prefix="/api/v1", tags=["surveys"])


class InvitationRequest(BaseModel):
    contact: str = Field(description="The contact's external id.")
    trigger: str | None = Field(None, description="What asks (e.g. a feature used): never twice for the same.")
    channel: str = Field("in_app", description="Where the link is shown: in_app, web, sms ...")
    campaign: str | None = None


class InvitationReply(BaseModel):
    url: str = Field(description="The personal single-use link (the widget opens it).")
    language: str
    expires_at: str


@router.post(
    "/surveys/{key}/invitations",
    status_code=201,
    response_model=InvitationReply,
    responses={404: {"model": ErrorReply}, 409: {"model": ErrorReply, "description": "Throttled or asked."}},
    dependencies=[WRITE],
    summary="Make a personal survey link for a contact",
)
def create_invitation(request: Request, key: str, body: InvitationRequest) -> Any:
    settings = request.app.state.settings
    try:
        config = load_surveys(settings)
        config.get(key)
    except (SurveyError, KeyError) as exc:
        return JSONResponse({"detail": str(exc).strip("'\""), "problems": []}, status_code=404)
    with session_scope(settings.database_url) as s:
        contact = s.scalar(select(Contact).where(Contact.external_id == body.contact))
        if contact is None:
            return JSONResponse({"detail": f"no contact {body.contact!r}", "problems": []}, status_code=404)
        try:
            sent = invite(
                s, config, key, contact.id, trigger=body.trigger, channel=body.channel, campaign=body.campaign
            )
        except SurveyRefused as exc:
            return JSONResponse({"detail": str(exc), "problems": []}, status_code=409)
        s.flush()
        reply = {
            "url": f"{settings.base_url}{sent.path}",
            "language": sent.invitation.language or "en",
            "expires_at": sent.invitation.expires_at.isoformat() if sent.invitation.expires_at else "",
        }
    return JSONResponse(reply, status_code=201)
