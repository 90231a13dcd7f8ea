"""Edits of pool data (`pool:write`): a cadre's status, flags, rank, limits and skills;
ties; unavailable periods. Each is checked like an import row (`service.pool_edits`),
written in the request's transaction with an audit event holding the values before and
after, and bumps the pool revision so cached conflict indexes go stale."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response, status

from pool.api_repository import CadreRow, PoolBrowser
from pool.formats import CADRES, TIES, UNAVAILABILITY
from service import audit
from service.api.common import beijing_now
from service.api.pool_access import KeyPath, Writer, browser, cadre_read, outside, visible_cadre
from service.api.pool_schemas import (
    CadreRead,
    CadreUpdate,
    TieCreate,
    TieRead,
    UnavailabilityCreate,
    UnavailabilityRead,
)
from service.deps import SessionDep, StateDep
from service.errors import BadRequest, Conflict, Unprocessable, not_found
from service.pool_edits import write_row

router = APIRouter(tags=["pool"])


def _cadre_values(row: CadreRow, fields: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in fields:
        if name == "skills":
            out[name] = [{"code": code, "level": level} for code, _, _, level in row.skills]
        else:
            out[name] = getattr(row.cadre, name)
    return out


@router.patch("/cadres/{key}", response_model=CadreRead)
def update_cadre(key: KeyPath, body: Annotated[CadreUpdate, Body()], session: SessionDep,
                 state: StateDep, request: Request, principal: Writer) -> CadreRead:
    """修改干部的状态、标记、职级、年度轮次上限或专业特长（整体替换）/ change a cadre's
    status, flags, rank, yearly limit or skills (replaced as a whole)."""
    pool = browser(session, principal)
    current = visible_cadre(state, request, principal, pool, key)
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise BadRequest("请求中没有要修改的字段", "nothing to change: the request names no field")
    fields = sorted(changes)
    before = _cadre_values(current, fields)
    values: dict[str, object] = {"person_key": key,
                                 "home_unit_key": current.cadre.home_unit_key}
    for name, value in changes.items():
        values[name] = value
    if body.skills is not None:  # (model_dump(exclude_unset) drops default levels)
        values["skills"] = ";".join(f"{s.code}:{s.level}" for s in body.skills)
    write_row(session, CADRES, values)
    session.expire_all()
    updated = pool.cadre(key)
    assert updated is not None  # the row was just written
    audit.record(session, principal.actor, "data.cadre.update", object_type="cadre",
                 object_key=key, data={"fields": fields, "before": before,
                                       "after": _cadre_values(updated, fields)})
    audit.bump_pool(session)
    return cadre_read(updated)


@router.post("/cadres/{key}/unavailability", response_model=UnavailabilityRead,
             status_code=status.HTTP_201_CREATED)
def add_unavailability(key: KeyPath, body: UnavailabilityCreate, session: SessionDep,
                       state: StateDep, request: Request,
                       principal: Writer) -> UnavailabilityRead:
    """登记干部的不可用时段（含两端）/ record a period in which a cadre is unavailable
    (both ends inclusive)."""
    pool = browser(session, principal)
    visible_cadre(state, request, principal, pool, key)
    if pool.unavailability(key, body.start) is not None:
        raise Conflict(f"{key} 已有自 {body.start} 起的不可用时段",
                       f"{key} already has an unavailable period starting {body.start}",
                       field="start")
    write_row(session, UNAVAILABILITY, {"person_key": key, **body.model_dump()})
    created = pool.unavailability(key, body.start)
    assert created is not None
    read = UnavailabilityRead.model_validate(created)
    audit.record(session, principal.actor, "data.unavailability.create",
                 object_type="unavailability", object_key=f"{key}/{body.start.isoformat()}",
                 data={"before": None, "after": read.model_dump(mode="json")})
    audit.bump_pool(session)
    return read


def _check_references(pool: PoolBrowser, body: TieCreate) -> None:
    """Unknown persons or unit: 422 naming the field (before any scope decision)."""
    for name in ("subject_key", "object_person_key"):
        value = getattr(body, name)
        if value is not None and not pool.person_exists(value):
            raise Unprocessable(f"引用的人员编号 {value} 不存在；请先导入该人员，或更正编号",
                                f"refers to an unknown person key {value}; import it first "
                                "or correct the key", field=name)
    if body.object_unit_key is not None and pool.unit(body.object_unit_key) is None:
        raise Unprocessable(f"引用的单位编号 {body.object_unit_key} 不存在；请先导入该单位，"
                            "或更正编号", f"refers to an unknown unit key "
                            f"{body.object_unit_key}; import it first or correct the key",
                            field="object_unit_key")


@router.post("/ties", response_model=TieRead, status_code=status.HTTP_201_CREATED)
def create_tie(body: TieCreate, session: SessionDep, state: StateDep, request: Request,
               principal: Writer) -> TieRead:
    """新增一条关系，按导入“关系”表的全部规则校验 / add a tie, checked by every rule of the
    ties import."""
    pool = browser(session, principal)
    key = body.key or f"T{dt.date.today():%Y%m%d}-{secrets.token_hex(5)}"
    if pool.tie(key) is not None:
        raise Conflict(f"关系编号 {key} 已存在", f"tie {key} already exists", field="key")
    _check_references(pool, body)
    if not pool.tie_visible(body.subject_key, body.object_person_key, body.object_unit_key):
        raise outside(state, request, principal, "关系的双方", "both ends of the tie",
                      subject=body.subject_key)
    values = body.model_dump() | {
        "key": key, "recorded_by": principal.name,
        "recorded_at": beijing_now()}
    write_row(session, TIES, values)
    created = pool.tie(key)
    assert created is not None
    read = TieRead.model_validate(created)
    audit.record(session, principal.actor, "data.tie.create", object_type="tie",
                 object_key=key, data={"before": None, "after": read.model_dump(mode="json")})
    audit.bump_pool(session)
    return read


@router.delete("/ties/{key}", status_code=status.HTTP_204_NO_CONTENT,
               response_class=Response)
def delete_tie(key: KeyPath, session: SessionDep, state: StateDep, request: Request,
               principal: Writer) -> Response:
    """删除一条关系（审计日志保留删除前的内容）/ delete a tie (the audit event keeps what
    it was)."""
    pool = browser(session, principal)
    tie = pool.tie(key)
    if tie is None:
        raise not_found("关系", "tie", key, field="key")
    if not pool.tie_visible(tie.subject_key, tie.object_person_key, tie.object_unit_key):
        raise outside(state, request, principal, f"关系 {key}", f"tie {key}", tie=key)
    before = TieRead.model_validate(tie).model_dump(mode="json")
    pool.delete_tie(key)
    audit.record(session, principal.actor, "data.tie.delete", object_type="tie",
                 object_key=key, data={"before": before, "after": None})
    audit.bump_pool(session)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
