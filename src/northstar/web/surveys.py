"""The public survey page: no sign-in, the personal link's token is the key. The score is one tap; the
follow-up question (and any custom questions) come after it, in the language the invitation was sent in.
And the surveys' definitions, edited by CS operations (``/admin/surveys``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from northstar import i18n
from northstar.auth.models import User
from northstar.auth.permissions import Permission, require
from northstar.feedback.models import Feedback
from northstar.surveys.definitions import SurveyError, current_text, history_dir, load_surveys, save_surveys
from northstar.surveys.service import State, complete, find, record_score, state
from northstar.web.security import current_user, db, form_user
from northstar.web.templating import render, templates

router = APIRouter(include_in_schema=False)
#: The words at the ends of each scale, marked for the catalogues.
ENDS = {
    "nps": (i18n.N_("Not at all likely"), i18n.N_("Extremely likely")),
    "csat": (i18n.N_("Very dissatisfied"), i18n.N_("Very satisfied")),
    "ces": (i18n.N_("Very difficult"), i18n.N_("Very easy")),
}
STATUS = {State.UNKNOWN: 404, State.EXPIRED: 410}


def _page(request: Request, token: str, session: Session, status_code: int = 200) -> Response:
    invitation = find(session, token)
    current = state(invitation)
    lang = invitation.language if invitation is not None and invitation.language in i18n.LANGUAGES else None
    i18n.set_locale(lang or i18n.current())  # the invitation's language, whatever the browser says
    context: dict[str, object] = {"state": current.value, "token": token, "lang": i18n.current()}
    context["dir"] = "rtl" if i18n.is_rtl() else "ltr"
    if invitation is not None and current in (State.OPEN, State.FOLLOW_UP):
        survey = load_surveys(request.app.state.settings).get(invitation.survey_key or "")
        context["survey"] = survey
        context["question"] = survey.question.get(invitation.language)
        context["scores"] = list(range(survey.scale[0], survey.scale[1] + 1))
        context["ends"] = [i18n.gettext(e) for e in ENDS[survey.type]]
        if current is State.FOLLOW_UP:
            answer = session.get(Feedback, invitation.feedback_id)
            follow = survey.follow_up_for(answer.score if answer and answer.score is not None else -1)
            context["follow_up"] = follow.get(invitation.language) if follow else None
            context["questions"] = [
                (q, q.text.get(invitation.language), [c.get(invitation.language) for c in q.choices])
                for q in survey.questions
            ]
    code = STATUS.get(current, status_code)
    return templates.TemplateResponse(request, "survey.html", context, status_code=code)


@router.get("/s/{token}", response_class=HTMLResponse)
def survey_page(request: Request, token: str, session: Session = Depends(db, scope="function")) -> Response:
    return _page(request, token, session)


@router.post("/s/{token}")
async def survey_answer(request: Request, token: str, session: Session = Depends(db, scope="function")) -> Response:
    """The score (``score``), or the follow-up (``comment`` and ``q_<key>`` answers, ``step=more``). A link
    answered before is told so politely (409), an expired one that it has closed (410). The form is read
    asynchronously (its fields are open-ended: ``q_<key>``); the store is used from the thread pool, as in the
    synchronous routes, so a wait on the database never holds the event loop."""
    form = await request.form()
    return await run_in_threadpool(_answer, request, token, session, form)


def _answer(request: Request, token: str, session: Session, form: FormData) -> Response:
    invitation = find(session, token)
    current = state(invitation)
    if invitation is None or current in (State.UNKNOWN, State.EXPIRED):
        return _page(request, token, session)
    config = load_surveys(request.app.state.settings)
    try:
        if form.get("step") == "more":
            skip = bool(form.get("skip"))
            answers = {} if skip else {k[2:]: v for k, v in form.items() if k.startswith("q_")}
            comment = "" if skip else str(form.get("comment") or "")
            refused = current is not State.FOLLOW_UP
            refused = refused or complete(session, config, invitation, comment, answers) is not State.DONE
        else:
            refused = current is not State.OPEN
            score = int(str(form.get("score", "")))
            refused = refused or record_score(session, config, invitation, score) is not State.FOLLOW_UP
    except ValueError:
        return _page(request, token, session, status_code=422)
    if refused:
        return _page(request, token, session, status_code=409)
    return RedirectResponse(f"/s/{token}", status_code=303)


@router.get("/admin/surveys")
def surveys_admin(request: Request, saved: bool = False, session: Session = Depends(db, scope="function")) -> Response:
    """The surveys' definitions as YAML, for CS operations to edit (checked on save; versions kept)."""
    user = current_user(request, session)
    require(user, Permission.MANAGE_CONFIG)
    settings = request.app.state.settings
    return _admin_page(request, user, current_text(settings), None, saved)


@router.post("/admin/surveys")
def surveys_save(
    request: Request, text: str = Form(""), csrf: str = Form(""), session: Session = Depends(db, scope="function")
) -> Response:
    user = form_user(request, session, csrf, Permission.MANAGE_CONFIG)
    try:
        save_surveys(request.app.state.settings, text, by=user.email)
    except SurveyError as exc:
        return _admin_page(request, user, text, str(exc), False, status_code=422)
    return RedirectResponse("/admin/surveys?saved=1", status_code=303)


def _admin_page(
    request: Request, user: User, text: str, error: str | None, saved: bool, status_code: int = 200
) -> Response:
    settings = request.app.state.settings
    folder = history_dir(settings)
    versions = sorted((p.name for p in folder.glob("*.yaml")), reverse=True)[:20] if folder.exists() else []
    try:
        surveys = load_surveys(settings).surveys
    except SurveyError:
        surveys = []
    return render(
        request,
        "surveys_admin.html",
        user,
        status_code=status_code,
        text=text,
        error=error,
        saved=saved,
        versions=versions,
        surveys=surveys,
    )
