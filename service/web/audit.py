"""The audit log's pages: events (filtered, newest first, sealed as the API seals them),
the chain's verification and signed checkpoints; the replay page is `audit_replay.py`.
Every rule is the API's: `service.audit_reading`, `service.checkpoint`, the permissions
of `service.auth`."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from service import checkpoint
from service.api.common import BEIJING
from service.api.pool_access import require_unscoped
from service.audit_kinds import GROUPS, KINDS, OBJECT_TYPES, object_type_label
from service.audit_reading import (
    EventFilter,
    EventRead,
    latest_checkpoints,
    newest_first,
    verification_for,
)
from service.auth import Action
from service.deps import SessionDep, StateDep, ensure_may
from service.report_data import holder_name
from service.state import ServiceState
from service.web.pages import TEMPLATES, render
from service.web.session import MaybePersonDep, Person, signin_redirect

router = APIRouter()
PAGE_SIZE = 50
# (field, longest accepted value) of the free-text filters, as the API bounds them
TEXT_FILTERS = {"actor": 128, "kind": 64, "object_type": 64, "object_key": 256}


def beijing(at: dt.datetime) -> str:
    """A stored (naive UTC) time in Beijing time, to the second."""
    return at.replace(tzinfo=dt.UTC).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def shown(value: Any) -> str:
    """A value of an event's data as text (nested values as compact JSON)."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def object_href(request: Request, object_type: str | None, key: str | None) -> str | None:
    """The workbench page of an event's object, when the app has one."""
    if not object_type or not key:
        return None
    if object_type == "proposal" and key.isascii() and key.isdigit():
        return f"/audit/proposals/{key}/replay"
    pages = {"round": "/rounds/{key}", "cadre": "/pool/cadres/{key}",
             "draw": "/draws/{draw_id}"}
    template = pages.get(object_type)
    paths = {getattr(route, "path", None) for route in request.app.routes}
    if template is None or template not in paths:
        return None
    return template.split("{")[0] + quote(key, safe="")


TEMPLATES.env.globals.update(audit_object_type=object_type_label,
                             audit_time=beijing, audit_value=shown, holder_name=holder_name)


@dataclass
class Filters:
    values: dict[str, str]  # as typed, for the form
    where: EventFilter
    before: int | None
    errors: list[dict[str, str]]


def _date(values: Mapping[str, str], name: str, label: tuple[str, str],
          errors: list[dict[str, str]]) -> dt.date | None:
    text = values.get(name, "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors.append({"field": name, "zh": f"{label[0]}“{text[:40]}”不是日期：请写成 2027-03-01",
                       "en": f"{label[1]} {text[:40]!r} is not a date: write it as 2027-03-01"})
        return None


def _utc(day: dt.date) -> dt.datetime:
    """Midnight of a day in Beijing, as stored (naive UTC)."""
    return dt.datetime.combine(day, dt.time(), BEIJING).astimezone(dt.UTC).replace(tzinfo=None)


def read_filters(params: Mapping[str, str]) -> Filters:
    """The filter form's values, checked field by field (what, where, what to do)."""
    values = {k: params.get(k, "").strip() for k in (*TEXT_FILTERS, "since", "until")}
    errors: list[dict[str, str]] = []
    for name, longest in TEXT_FILTERS.items():
        if len(values[name]) > longest:
            errors.append({"field": name, "zh": f"筛选条件不超过{longest}个字符",
                           "en": f"a filter has at most {longest} characters"})
    since = _date(values, "since", ("开始日期", "from date"), errors)
    until = _date(values, "until", ("结束日期", "to date"), errors)
    if since and until and since > until:
        errors.append({"field": "until", "zh": "结束日期早于开始日期：请对调两个日期",
                       "en": "the to date is before the from date: swap them"})
    before = None
    cursor = params.get("before", "").strip()
    if cursor:
        if not (cursor.isascii() and cursor.isdigit()) or len(cursor) > 12 or int(cursor) < 1:
            errors.append({"field": "kind",
                           "zh": f"翻页位置“{cursor[:20]}”无效：请从第一页重新筛选",
                           "en": f"page position {cursor[:20]!r} is not valid: filter again "
                                 "from the first page"})
        else:
            before = int(cursor)
    where = EventFilter(
        actor=values["actor"] or None, kind=values["kind"] or None,
        object_type=values["object_type"] or None, object_key=values["object_key"] or None,
        since=_utc(since) if since else None,
        until=_utc(until + dt.timedelta(days=1)) - dt.timedelta(microseconds=1)
        if until else None)
    return Filters(values, where, before, errors)


@router.get("/audit")
def events_page(request: Request, session: SessionDep, state: StateDep,
                person: MaybePersonDep) -> Response:
    if person is None:
        return signin_redirect(request)
    ensure_may(state, request, person.principal, Action.audit_read)
    filters = read_filters(request.query_params)
    events: list[EventRead] = []
    older_href = None
    if not filters.errors:
        page = newest_first(session, person.principal, filters.where, before=filters.before,
                            limit=PAGE_SIZE)
        events = page.events
        if page.older is not None:
            kept = {k: v for k, v in filters.values.items() if v}
            older_href = "/audit?" + urlencode({**kept, "before": page.older})
    context = {"filters": filters, "events": events, "older_href": older_href,
               "kinds": KINDS, "groups": GROUPS, "object_types": OBJECT_TYPES,
               "links": {r.event.seq: object_href(request, r.event.object_type,
                                                  r.event.object_key) for r in events}}
    fragment = request.headers.get("hx-request") == "true" and \
        request.headers.get("hx-target") == "audit-results"
    template = "audit/_events.html" if fragment else "audit/events.html"
    return render(request, template, context, status=400 if filters.errors else 200)


def _verify_context(session: SessionDep, state: ServiceState, person: Person
                    ) -> dict[str, Any]:
    principal = person.principal
    may_sign = principal.may(Action.audit_checkpoint) and principal.scope is None
    return {"checkpoints": latest_checkpoints(session, principal),
            "may_sign": may_sign, "has_key": state.settings.checkpoint_key is not None}


@router.get("/audit/verify")
def verify_page(request: Request, session: SessionDep, state: StateDep,
                person: MaybePersonDep, run: str | None = None) -> Response:
    """Verification changes nothing, so it is a GET (`?run=1`): the button is a form."""
    if person is None:
        return signin_redirect(request)
    ensure_may(state, request, person.principal, Action.audit_read)
    result = verification_for(session, person.principal) if run else None
    return render(request, "audit/verify.html",
                  {"result": result, **_verify_context(session, state, person)})


@router.post("/audit/checkpoints")
def sign_checkpoint(request: Request, session: SessionDep, state: StateDep,
                    person: MaybePersonDep) -> Response:
    if person is None:
        return signin_redirect(request)
    ensure_may(state, request, person.principal, Action.audit_checkpoint)
    require_unscoped(state, request, person.principal, "签发检查点（覆盖整个日志）",
                     "signing a checkpoint (it covers the whole log)")
    key = checkpoint.load_private_key(state.settings.checkpoint_key, "XUNCHA_CHECKPOINT_KEY")
    doc = checkpoint.take(session, key, person.principal.actor)
    return render(request, "audit/verify.html", {
        "result": None, "signed": doc, "signed_text": checkpoint.document_text(doc),
        **_verify_context(session, state, person)})
