"""The overview page (概览): counts and charts of `service.overview`, which decides what the
person's role and region scope may see. Each chart's numbers go to the page twice: as a
JSON data block that `static/overview.js` draws with Chart.js (vendored), and as a table
for printing and screen readers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from service.auth import Action
from service.deps import SessionDep, StateDep, ensure_may
from service.overview import LAST_ROUNDS, MAX_ROUNDS, Figure, Overview, overview
from service.web.pages import render
from service.web.recusals import BEIJING
from service.web.session import MaybePersonDep, now, signin_redirect

router = APIRouter()
WINDOWS = (3, 4, 6, 8, 12)  # the window's choices in the form (any 1–50 is accepted)


def _short(title: str, sep: str) -> str:
    """A rule's title up to its colon: 申请或决定回避：本人申请… → 申请或决定回避."""
    return title.split(sep, 1)[0].strip()


def _chart(kind: str, labels: list[str], series: list[tuple[str, list[int]]]) -> dict[str, Any]:
    return {"kind": kind, "labels": labels,
            "series": [{"label": label, "values": values} for label, values in series]}


def charts(ov: Overview) -> dict[str, dict[str, Any]]:
    """What each chart draws (labels Chinese first, codes beside them)."""
    skills: list[Figure] = ov.skills
    out = {
        "skills": _chart("bar-horizontal", [f"{s.zh}（{s.code}）" for s in skills], [
            ("干部数 cadres", [s.value for s in skills]),
            ("其中3级及以上 of whom level 3+", [s.extra or 0 for s in skills])]),
        "participation": _chart("bar", [f"{b.zh} {b.en}" for b in ov.participation.buckets], [
            ("干部数 cadres", [b.value for b in ov.participation.buckets])]),
    }
    if ov.recusals is not None:
        rules = ov.recusals.rules
        out["recusals"] = _chart("bar-horizontal", [f"{_short(r.zh, '：')}（{r.code}）"
                                                    for r in rules], [
            ("干部与单位对 cadre–unit pairs", [r.value for r in rules])])
    return out


def _window(raw: str | None) -> tuple[int, list[dict[str, str]]]:
    if raw is None or not raw.strip():
        return LAST_ROUNDS, []
    value = raw.strip()
    if value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_ROUNDS:
        return int(value), []
    return LAST_ROUNDS, [{"field": "rounds",
                          "zh": f"最近轮次数须为1到{MAX_ROUNDS}之间的整数（收到“{value[:20]}”），"
                                f"已按{LAST_ROUNDS}轮显示",
                          "en": f"the number of recent rounds is a whole number from 1 to "
                                f"{MAX_ROUNDS} (got '{value[:20]}'); showing {LAST_ROUNDS}"}]


@router.get("/overview")
def overview_page(request: Request, person: MaybePersonDep, session: SessionDep,
                  state: StateDep) -> Response:
    if person is None:
        return signin_redirect(request)
    ensure_may(state, request, person.principal, Action.pool_read)
    last, errors = _window(request.query_params.get("rounds"))
    today = (now(request) + BEIJING).date()
    ov = overview(session, state, person.principal, as_of=today, last_rounds=last)
    windows = sorted({*WINDOWS, last})
    return render(request, "overview/overview.html", {
        "ov": ov, "charts": charts(ov), "errors": errors, "windows": windows},
        status=422 if errors else 200)
