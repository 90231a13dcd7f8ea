"""Health and policies: what the service runs with."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel
from sqlalchemy import text

from conflicts.policy import PolicyError, cached_policy, shipped_policies
from service.auth import Action, Principal
from service.deps import SessionDep, require
from service.errors import not_found

router = APIRouter(tags=["system"])


class Health(BaseModel):
    status: str
    database: str


class PolicySummary(BaseModel):
    name: str
    version: str
    title_zh: str
    title_en: str
    hash: str
    rules: int


class PolicyRead(PolicySummary):
    definition: dict[str, Any]


@router.get("/health", response_model=Health)
def health(session: SessionDep) -> Health:
    """服务与数据库是否可用（无需令牌）/ is the service and its database up (no token)."""
    session.execute(text("SELECT 1"))
    bind = session.get_bind()
    return Health(status="ok", database=bind.dialect.name)


def _policy(name: str) -> Any:
    try:
        return cached_policy(name)
    except PolicyError:
        raise not_found("回避规则", "policy", name, field="name") from None


@router.get("/policies", response_model=list[PolicySummary])
def list_policies(
        _p: Annotated[Principal, Depends(require(Action.pool_read))]) -> list[PolicySummary]:
    """可用的回避规则及其内容哈希 / the recusal policies and their content hashes."""
    out = []
    for name in shipped_policies():
        p = _policy(name)
        out.append(PolicySummary(name=p.name, version=p.version, title_zh=p.title_zh,
                                 title_en=p.title_en, hash=p.hash, rules=len(p.rules)))
    return out


@router.get("/policies/{name}", response_model=PolicyRead)
def show_policy(name: Annotated[str, Path(pattern=r"^[a-z][a-z0-9-]*$", max_length=64)],
                _p: Annotated[Principal, Depends(require(Action.pool_read))]) -> PolicyRead:
    """一套回避规则的全部规则与哈希 / one policy in full, with its hash."""
    if name not in shipped_policies():
        raise not_found("回避规则", "policy", name, field="name")
    p = _policy(name)
    return PolicyRead(name=p.name, version=p.version, title_zh=p.title_zh, title_en=p.title_en,
                      hash=p.hash, rules=len(p.rules), definition=p.model_dump(mode="json"))
