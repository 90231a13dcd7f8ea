"""`xuncha departure PROPOSAL_ID TEAM LEAVING --reason … --date … --token …`: record that
a member left a team mid-round; the replacement is drawn by lot exactly as
POST /v1/proposals/{id}/teams/{team}/departures draws it (`service.departures`), as the
token's holder (rounds:write, region scope), and refusals are audited as the API's."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.console import Console

from service.cli_errors import CliFailure, nothing_written_if_interrupted

out = Console()


def departure_command(
    proposal_id: Annotated[int, typer.Argument(min=1, max=2**31 - 1,
                                               help="方案编号 / proposal id")],
    team: Annotated[int, typer.Argument(min=1, max=10_000, help="组号 / the team's number")],
    leaving: Annotated[str, typer.Argument(help="离组成员（人员编号）/ the member who left")],
    reason: Annotated[str, typer.Option(
        help="illness 病休 / recalled 单位召回 / other 其他（须 --text）")],
    date: Annotated[str, typer.Option(help="离组日期 YYYY-MM-DD / the departure's date")],
    token: Annotated[str, typer.Option(envvar="XUNCHA_TOKEN",
                                       help="记录人的令牌 / the recorder's token")],
    text: Annotated[str | None, typer.Option(help="说明 / details")] = None,
    database_url: Annotated[str | None, typer.Option(
        "--database-url", envvar="XUNCHA_DATABASE_URL",
        help="SQLAlchemy URL (default: SQLite file var/xuncha.sqlite3)")] = None,
) -> None:
    """记录离组并抽签替换 / record a departure; the replacement is drawn by lot."""
    from pydantic import ValidationError

    from pool import models as m
    from pool.db import transaction
    from service import audit
    from service.auth import Action
    from service.cli_draw import _engine, _principal
    from service.decisions import proposal_or_404
    from service.departures import DepartureCreate, record_departure
    from service.errors import DomainError, Forbidden

    try:
        body = DepartureCreate(leaving=leaving, reason=reason,  # type: ignore[arg-type]
                               text=text, date=dt.date.fromisoformat(date))
    except (ValueError, ValidationError):
        raise CliFailure("离组记录无效：--reason 须为 illness、recalled 或 other，--date 写成 "
                         "YYYY-MM-DD，人员编号不超过64个字符",
                         "invalid departure: --reason is illness, recalled or other, --date "
                         "is YYYY-MM-DD, the key at most 64 characters", code=2) from None
    engine = _engine(database_url)
    principal = _principal(engine, token)
    try:
        with nothing_written_if_interrupted(), transaction(engine, write=True) as session:
            if not principal.may(Action.rounds_write):
                raise Forbidden(f"角色“{principal.role.value}”无权调整方案（rounds:write）",
                                f"role {principal.role.value} may not change proposals "
                                "(rounds:write)")
            row = proposal_or_404(session, proposal_id)
            rnd = session.get(m.Round, row.round_key)
            if rnd is None or not principal.sees_region(rnd.region_code):
                raise Forbidden(f"方案 {proposal_id} 不在令牌的区划范围内",
                                f"proposal {proposal_id} lies outside the token's region scope")
            d = record_departure(session, principal, proposal_id, team, body)
    except DomainError as exc:
        with transaction(engine, write=True) as session:
            kind = "auth.denied" if exc.status == 403 else "proposal.refused"
            audit.record(session, principal.actor, kind, object_type="cli",
                         object_key="departure", data={
                             "command": "departure", "proposal_id": proposal_id,
                             "code": exc.code, "field": exc.field, "zh": exc.zh, "en": exc.en,
                             "role": principal.role.value})
        raise CliFailure(exc.zh, exc.en, code=1) from None
    lot, left, came = d["lot"], d["leaving"], d["replacement"]
    out.print(f"第{d['team']}组：{left['name']} {left['key']}（{left['role']}）"
              f"离组，由 {came['name']} {came['key']} 接替（抽签产生）\n"
              f"team {d['team']}: {left['key']} left; {came['key']} takes "
              f"the seat, placed by lot\n"
              f"容差内人选 options in the lot: {len(lot['options'])}\n"
              f"签号 winning ticket: {lot['winner_ticket']}\n"
              f"原文 preimage:\n{lot['preimage']}", highlight=False, markup=False,
              soft_wrap=True)
