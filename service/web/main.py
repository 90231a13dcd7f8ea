"""The workbench's home page: who is signed in and what their role may do."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from service.auth import Action
from service.web.pages import render
from service.web.session import COOKIE, MaybePersonDep

router = APIRouter()

# what each permission means to a person, Chinese then English (service.auth.PERMISSIONS
# decides who has it)
ABILITIES: dict[Action, tuple[str, str]] = {
    Action.pool_read: ("查看人才库（地区、系统、单位、干部概况）",
                       "read the pool (regions, systems, units, cadre summaries)"),
    Action.pool_read_sensitive: ("查看亲属关系、身份证号与任职经历",
                                 "read kinship ties, ID numbers and employments"),
    Action.pool_write: ("导入和修改人才库数据", "import and edit pool data"),
    Action.recusal_check: ("回避审查与说明", "check recusals and read their explanations"),
    Action.rounds_read: ("查看巡察轮次", "read inspection rounds"),
    Action.rounds_write: ("建立轮次、组队方案与调整", "create rounds, proposals and changes"),
    Action.names_before_approval: ("审批前查看抽取人员名单",
                                   "see drawn members' names before approval"),
    Action.approve: ("审批组队方案", "approve proposals"),
    Action.draw_party: ("作为一方参加抽取仪式（承诺、揭示）",
                        "take part in a draw ceremony (commit, reveal)"),
    Action.draw_consent: ("同意重新抽取", "consent to a redraw"),
    Action.draw_rerun: ("重新运行超时的抽取", "run a timed-out draw again"),
    Action.audit_read: ("查看审计日志", "read the audit log"),
    Action.audit_checkpoint: ("签署审计检查点", "sign audit checkpoints"),
    Action.tokens_manage: ("管理令牌", "manage API tokens"),
}


# what each section of the workbench is for (the header's NAV decides who sees it)
SECTIONS: dict[str, tuple[str, str]] = {
    "/overview": ("人才库与轮次的数量和图表", "counts and charts of the pool and its rounds"),
    "/pool": ("筛选干部、查看干部信息、导入导出人才库",
              "filter cadres, read a cadre's record, import and export the pool"),
    "/recusals": ("某名干部对某些单位是否须回避、依据和证据",
                  "whether a cadre must recuse from units, with the rules and evidence"),
    "/rounds": ("巡察轮次、建立轮次、抽取仪式、方案审核与打印",
                "rounds, the round wizard, the draw ceremony, proposal review and print"),
    "/audit": ("审计日志、链校验和方案重放", "the audit log, chain verification and replay"),
}


@router.get("/")
async def home(request: Request, person: MaybePersonDep) -> Response:
    if person is None:
        ended = "?notice=ended" if request.cookies.get(COOKIE) else ""
        return RedirectResponse(f"/signin{ended}", status_code=303)
    may = [text for action, text in ABILITIES.items() if person.principal.may(action)]
    return render(request, "main/home.html", {"abilities": may, "sections": SECTIONS,
                                              "may_create": person.principal.may(
                                                  Action.rounds_write)})

