"""The REST API: ``/api/v1/<resource>`` for accounts, contacts, subscriptions, invoices, tickets,
touchpoints, feedback and assessments.

Each resource has the same six operations, keyed by the record's external id (its id in the system it came
from): list with filters and a cursor, create, read, upsert (PUT), update (PATCH) and delete. Reads need a
read or admin key; writes a write or admin key. The body and reply models are made from the import spec
(``northstar.ingest.spec``), so the OpenAPI document at ``/openapi.json`` (browsed at ``/docs``) always
matches what the import accepts. The work is done by ``northstar.ingest.crud``.

(No ``from __future__ import annotations`` here: FastAPI reads the body models from the endpoints'
annotations, which are made per resource at import time.)
"""

from datetime import date, datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, create_model
from pydantic import Field as PydanticField

from northstar.api.auth import require_key
from northstar.auth.models import KeyScope
from northstar.db.engine import session_scope
from northstar.ingest import crud
from northstar.ingest.spec import KINDS, Field, Kind

router = APIRouter(prefix="/api/v1")
READ = Depends(require_key(KeyScope.READ))
WRITE = Depends(require_key(KeyScope.WRITE))
SINGULAR = {"accounts": "account", "contacts": "contact", "subscriptions": "subscription", "invoices": "invoice"}
SINGULAR |= {"tickets": "ticket", "touchpoints": "touchpoint", "feedback": "feedback", "assessments": "assessment"}
SINGULAR |= {"success_plans": "success plan", "goals": "goal", "enrolments": "enrolment"}


class Problem(BaseModel):
    field: str | None
    message: str


class ErrorReply(BaseModel):
    detail: str
    problems: list[Problem] = []


def _type(f: Field) -> Any:
    if f.choices:
        return Literal[f.choices]  # type: ignore[valid-type]
    return {"int": int, "float": float, "date": date, "datetime": datetime, "bool": bool, "json": dict[str, Any]}.get(
        f.type, str
    )


def _describe(f: Field) -> str | None:
    if f.ref == "users":
        return "The staff user's e-mail (a new e-mail makes a CSM user without a login)."
    if f.ref:
        return f"The external id of the {SINGULAR.get(f.ref, f.ref)}."
    return None


def _models(kind: Kind) -> tuple[type[BaseModel], type[BaseModel], type[BaseModel], type[BaseModel]]:
    """(record, page of records, create body, update body) models for a kind."""
    noun = SINGULAR[kind.name].title()
    shown = crud.fields_of(kind)
    record_fields: dict[str, Any] = {"id": (int, PydanticField(description="Northstar's own id."))}
    for f in shown:
        record_fields[f.name] = (_type(f) | None, PydanticField(None, description=_describe(f)))
    for extra in ("created_at", "updated_at"):
        if hasattr(kind.model, extra):
            record_fields[extra] = (datetime | None, None)
    record = create_model(noun, **record_fields)
    page = create_model(f"{noun}Page", data=(list[record], ...), next_cursor=(str | None, None))  # type: ignore[valid-type]
    strict = ConfigDict(extra="forbid")
    writable = {
        f.name: (_type(f) | None, PydanticField(None, description=_describe(f)))
        for f in kind.fields
        if f.name != kind.key
    }
    update = create_model(f"{noun}Update", __config__=strict, **writable)
    create_fields = dict(writable)
    for f in kind.fields:
        if f.required and f.name != kind.key and not (f.name == "name" and kind.composites.get("name")):
            create_fields[f.name] = (_type(f), PydanticField(..., description=_describe(f)))
    create_fields[kind.key] = (str, PydanticField(..., min_length=1, max_length=200))
    create = create_model(f"{noun}Create", __config__=strict, **create_fields)
    return record, page, create, update


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorReply, "description": "No API key, or not a valid one."},
    403: {"model": ErrorReply, "description": "The key's scope does not allow this call."},
}


def _error(status: int, exc: Exception) -> JSONResponse:
    problems = [{"field": f, "message": m} for f, m in getattr(exc, "problems", [])]
    return JSONResponse({"detail": str(exc), "problems": problems}, status_code=status)


def _add_routes(kind: Kind) -> None:
    record, page, create, update = _models(kind)
    name, noun = kind.name, SINGULAR[kind.name]
    path, item = f"/{name}", f"/{name}/{{external_id}}"
    filters = crud.filters_of(kind)
    params = [
        {
            "name": p,
            "in": "query",
            "required": False,
            "schema": {"type": "string"},
            "description": (
                f"Only records whose {f.name} is at or after this."
                if op == "gte"
                else f"Only records whose {f.name} is before this."
                if op == "lt"
                else f"Only records with this {f.name}." + (f" {_describe(f)}" if f.ref else "")
            ),
        }
        for p, (f, op) in filters.items()
    ]

    def list_(
        request: Request,
        cursor: str | None = Query(None, description="From the previous page's next_cursor."),
        limit: int = Query(100, ge=1, le=crud.MAX_LIMIT),
    ) -> Any:
        query = {k: v for k, v in request.query_params.items() if k not in ("cursor", "limit")}
        with session_scope(request.app.state.settings.database_url) as s:
            try:
                result = crud.list_records(s, kind, query, cursor, limit)
            except crud.BadQuery as exc:
                return _error(400, exc)
        return {"data": result.data, "next_cursor": result.next_cursor}

    def get(request: Request, external_id: str) -> Any:
        with session_scope(request.app.state.settings.database_url) as s:
            try:
                return crud.get_record(s, kind, external_id)
            except crud.RecordNotFound as exc:
                return _error(404, exc)

    def save(request: Request, response: Response, external_id: str, body: dict[str, Any], mode: str) -> Any:
        with session_scope(request.app.state.settings.database_url) as s:
            try:
                out, created, _changed = crud.save_record(s, kind, external_id, body, mode)
            except crud.RecordNotFound as exc:
                return _error(404, exc)
            except crud.RecordConflict as exc:
                return _error(409, exc)
            except crud.BadRecord as exc:
                s.rollback()
                return _error(422, exc)
        response.status_code = 201 if created else 200
        return out

    def post(request: Request, response: Response, body: create) -> Any:  # type: ignore[valid-type]
        data = body.model_dump(exclude_unset=True)  # type: ignore[attr-defined]
        return save(request, response, data.pop(kind.key), data, "create")

    def put(request: Request, response: Response, external_id: str, body: update) -> Any:  # type: ignore[valid-type]
        return save(request, response, external_id, body.model_dump(exclude_unset=True), "upsert")  # type: ignore[attr-defined]

    def patch(request: Request, response: Response, external_id: str, body: update) -> Any:  # type: ignore[valid-type]
        return save(request, response, external_id, body.model_dump(exclude_unset=True), "update")  # type: ignore[attr-defined]

    def delete(request: Request, external_id: str) -> Any:
        with session_scope(request.app.state.settings.database_url) as s:
            try:
                crud.delete_record(s, kind, external_id)
            except crud.RecordNotFound as exc:
                return _error(404, exc)
        return Response(status_code=204)

    missing = {404: {"model": ErrorReply, "description": f"No {noun} with this external id."}}
    bad = {422: {"model": ErrorReply, "description": "A field is missing or not valid; each problem is listed."}}
    tags = [name]
    router.add_api_route(
        path,
        list_,
        methods=["GET"],
        response_model=page,
        dependencies=[READ],
        tags=tags,
        summary=f"List {name}",
        description=f"{name.title()} in a stable order, `limit` at a time; pass `next_cursor` back as `cursor` "
        "for the next page. Filters combine with AND.",
        responses={**ERRORS, 400: {"model": ErrorReply, "description": "An unknown filter or a bad value."}},
        openapi_extra={"parameters": params},
        operation_id=f"list_{name}",
    )
    router.add_api_route(
        path,
        post,
        methods=["POST"],
        response_model=record,
        status_code=201,
        dependencies=[WRITE],
        tags=tags,
        summary=f"Create a {noun}",
        description="201 when created. Sending the same record again returns it with 200 (a retry is stored once); "
        "an existing external id with other values is a 409.",
        responses={**ERRORS, **bad, 200: {"description": "Already there, the same."}, 409: {"model": ErrorReply}},
        operation_id=f"create_{noun}",
    )
    router.add_api_route(
        item,
        get,
        methods=["GET"],
        response_model=record,
        dependencies=[READ],
        tags=tags,
        summary=f"Read a {noun}",
        responses={**ERRORS, **missing},
        operation_id=f"get_{noun}",
    )
    router.add_api_route(
        item,
        put,
        methods=["PUT"],
        response_model=record,
        dependencies=[WRITE],
        tags=tags,
        summary=f"Create or update a {noun}",
        description="Upsert by external id: 201 when created (required fields needed), 200 when updated. Fields "
        "left out keep their values.",
        responses={**ERRORS, **bad, 201: {"description": "Created."}},
        operation_id=f"upsert_{noun}",
    )
    router.add_api_route(
        item,
        patch,
        methods=["PATCH"],
        response_model=record,
        dependencies=[WRITE],
        tags=tags,
        summary=f"Update a {noun}",
        description="Only the fields sent change.",
        responses={**ERRORS, **bad, **missing},
        operation_id=f"update_{noun}",
    )
    router.add_api_route(
        item,
        delete,
        methods=["DELETE"],
        status_code=204,
        response_model=None,
        dependencies=[WRITE],
        tags=tags,
        summary=f"Delete a {noun}",
        responses={**ERRORS, **missing},
        operation_id=f"delete_{noun}",
        response_class=Response,
    )


for _name in crud.RESOURCES:
    _add_routes(KINDS[_name])
