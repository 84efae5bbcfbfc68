"""Saving, listing and removing a user's named views of the account list and the dashboards.

A view keeps only the parameters its page understands (so a saved link cannot carry anything else), and
saving under a name the user already has replaces that view: a resubmitted form changes nothing."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from northstar.savedviews.models import SavedView

#: The pages views are saved for, and the query parameters each keeps.
PAGES: dict[str, tuple[str, ...]] = {
    "accounts": ("q", "segment", "persona", "band", "min_risk", "renewal", "sort", "desc", "mine"),
    "dashboards": ("segment", "persona", "owner", "line"),
}
MAX_VIEWS = 50


class ViewError(ValueError):
    pass


def clean_query(page: str, query: str) -> str:
    """``query`` with only the parameters ``page`` keeps, empty values dropped, in a stable order."""
    if page not in PAGES:
        raise ViewError(f"views are saved for {', '.join(PAGES)}, not {page!r}")
    keep = PAGES[page]
    pairs = dict(parse_qsl(query.lstrip("?"), keep_blank_values=False))
    return urlencode([(k, pairs[k]) for k in keep if pairs.get(k)])


def save_view(session: Session, user_id: int, page: str, name: str, query: str) -> SavedView:
    name = " ".join(name.split())
    if not name:
        raise ViewError("give the view a name")
    if len(name) > 100:
        raise ViewError("a view's name is at most 100 characters")
    cleaned = clean_query(page, query)
    view = session.scalar(
        select(SavedView).where(SavedView.user_id == user_id, SavedView.page == page, SavedView.name == name)
    )
    if view is None:
        if len(list_views(session, user_id, page)) >= MAX_VIEWS:
            raise ViewError(f"at most {MAX_VIEWS} saved views per page: remove one first")
        view = SavedView(user_id=user_id, page=page, name=name, query=cleaned)
        session.add(view)
    else:
        view.query = cleaned
    session.flush()
    return view


def list_views(session: Session, user_id: int, page: str) -> list[SavedView]:
    stmt = select(SavedView).where(SavedView.user_id == user_id, SavedView.page == page).order_by(SavedView.name)
    return list(session.scalars(stmt))


def delete_view(session: Session, user_id: int, view_id: int) -> bool:
    """Remove one of the user's views (another user's is left alone); False when there was none."""
    done = session.execute(delete(SavedView).where(SavedView.id == view_id, SavedView.user_id == user_id))
    return bool(done.rowcount)  # type: ignore[attr-defined]
