"""Terminal output for the CLI (Rich): progress, import reports, errors, pool summaries."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.engine import make_url

from assignment.capped_draw import cap_sentence
from pool.formats import CADRE_STATUSES, ENTITIES, ENTITY_BY_NAME
from pool.importer import ImportReport
from pool.parsing import RowError

if TYPE_CHECKING:
    from assignment.pairing import Pairing
    from service.cross import CrossRun
    from service.recusals import CadreCheck, PoolScreening
    from service.rounds import RoundRun

MAX_ERRORS_SHOWN = 200


def safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


class TableBar:
    """The progress callback of `table_progress`: called after each table; its `stage`
    says what is being done now (reading a sheet, checking, writing), so that a long
    step shows which table it is on."""

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self._progress, self._task = progress, task

    def __call__(self, entity: str, rows: int) -> None:
        zh = ENTITY_BY_NAME[entity].zh
        self._progress.update(self._task, advance=1,
                              description=f"{zh} {entity}: {rows:,} 行 rows")

    def stage(self, entity: str, doing: str) -> None:
        known = ENTITY_BY_NAME.get(entity)
        label = f"{known.zh} {entity}" if known else entity
        self._progress.update(self._task, description=f"{doing} {label}…")


@contextmanager
def table_progress(console: Console, total: int | None = None) -> Iterator[TableBar]:
    """A bar over the entity tables (`total` steps, default one per entity)."""
    progress = Progress(TextColumn("{task.description}"), BarColumn(),
                        TextColumn("{task.completed}/{task.total} 表 tables"),
                        TimeElapsedColumn(), console=console, transient=True)
    task = progress.add_task("处理中 working", total=total or len(ENTITIES))
    with progress:
        yield TableBar(progress, task)


def import_report(console: Console, report: ImportReport) -> None:
    title = "校验通过（未写入）/ dry run: valid, nothing written" if report.dry_run \
        else "导入完成 / import complete"
    if not report.rows:
        title = "没有可导入的数据 / nothing to import"
    table = Table(title=title)
    for header in ("表 table", "来源 source", "编码 encoding", "行 rows", "新增 new",
                   "更新 updated"):
        table.add_column(header, justify="right" if "行" in header or "新" in header
                         or "更" in header else "left")
    for t in report.tables:
        table.add_row(f"{ENTITY_BY_NAME[t.entity].zh} {t.entity}", t.source, t.encoding or "",
                      f"{t.rows:,}", f"{t.new:,}", f"{t.updated:,}")
    console.print(table)
    rate = report.rows / report.seconds if report.seconds else 0.0
    console.print(f"共 total {report.rows:,} 行 rows, {report.seconds:.1f} s, "
                  f"{rate:,.0f} 行/秒 rows/s")
    if not report.rows:
        console.print("文件中没有数据行，未写入任何数据（空模板？请从第2行起填写记录）/ the files "
                      "hold no data rows, nothing was written (an empty template? fill in "
                      "records from row 2)")


def import_errors(console: Console, errors: Sequence[RowError], errors_out: Path | None) -> None:
    console.print(f"[bold red]导入被拒绝，未写入任何数据 / import rejected, nothing was written:"
                  f" {len(errors)} 处错误 error(s)[/]")
    table = Table(show_lines=False)
    for header in ("文件 file", "行 row", "列 column", "值 value", "原因 reason"):
        table.add_column(header, overflow="fold")
    for e in errors[:MAX_ERRORS_SHOWN]:
        table.add_row(e.file + (f"[{e.sheet}]" if e.sheet else ""),
                      "" if e.row is None else str(e.row), e.column or "", e.value,
                      f"{e.zh}\n{e.en}")
    console.print(table)
    if len(errors) > MAX_ERRORS_SHOWN:
        console.print(f"仅显示前 {MAX_ERRORS_SHOWN} 处；用 --errors-out 导出全部 / "
                      f"showing the first {MAX_ERRORS_SHOWN}; use --errors-out for all")
    if errors_out:
        write_errors(errors, errors_out)
        console.print(f"全部错误已写入 all errors written to {errors_out}")
    console.print("请更正以上各处后重新导入 / correct the rows above and import again")


def write_errors(errors: Sequence[RowError], path: Path) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["文件 file", "工作表 sheet", "行 row", "列 column", "值 value",
                         "原因 reason", "reason"])
        for e in errors:
            writer.writerow([e.file, e.sheet or "", e.row or "", e.column or "", e.value,
                             e.zh, e.en])


def counts_table(console: Console, title: str, counts: Mapping[str, int]) -> None:
    table = Table(title=title)
    table.add_column("表 table")
    table.add_column("行 rows", justify="right")
    for name, n in counts.items():
        label = f"{ENTITY_BY_NAME[name].zh} {name}" if name in ENTITY_BY_NAME else name
        table.add_row(label, f"{n:,}")
    console.print(table)


def pool_summary(console: Console, counts: Mapping[str, int],
                 summary: Mapping[str, object]) -> None:
    console.rule("人才库概况 pool summary")
    core = Table(title="数据量 records")
    core.add_column("类别 kind")
    core.add_column("数量 count", justify="right")
    labels = [("regions", "行政区划 regions"), ("systems", "系统 systems"),
              ("units", "单位 units"), ("persons", "人员 persons"), ("cadres", "巡察干部 cadres"),
              ("employments", "任职经历 employments"), ("ties", "关系 ties"),
              ("rounds", "巡察轮次 rounds"), ("participations", "参与记录 participations"),
              ("evaluations", "巡后评估 evaluations")]
    for key, label in labels:
        core.add_row(label, f"{counts.get(key, 0):,}")
    console.print(core)

    status_zh = {c.code: f"{c.zh} {c.en}" for c in CADRE_STATUSES}
    flags_zh = {"leader_pool": "组长库 leader pool", "deputy_pool": "副组长库 deputy pool",
                "expert_pool": "专家库 expert pool", "reserve": "后备 reserve",
                "newly_promoted": "新提拔 newly promoted"}
    pool = Table(title="干部状态与库别 status and pools")
    pool.add_column("项目 item")
    pool.add_column("人数 cadres", justify="right")
    for code, n in sorted(summary["status"].items()):  # type: ignore[attr-defined]
        pool.add_row(status_zh.get(code, code), f"{n:,}")
    for code, n in summary["flags"].items():  # type: ignore[attr-defined]
        pool.add_row(flags_zh[code], f"{n:,}")
    console.print(pool)

    skills = Table(title="专业特长 skills")
    skills.add_column("特长 skill")
    skills.add_column("人数 cadres", justify="right")
    for code, zh, n in summary["skills"]:  # type: ignore[attr-defined]
        skills.add_row(f"{zh} {code}", f"{n:,}")
    console.print(skills)

    systems = Table(title="按系统 cadres by system")
    systems.add_column("系统 system")
    systems.add_column("人数 cadres", justify="right")
    for name, n in summary["cadres_by_system"]:  # type: ignore[attr-defined]
        systems.add_row(name, f"{n:,}")
    console.print(systems)



def cadre_check(console: Console, check: CadreCheck, lang: str = "zh") -> None:
    """Each explained unit as a block: the verdict, then the reasons with evidence."""
    s = check.screening
    console.rule(f"回避审查 recusal check · {s.policy.name} {s.policy.version} · "
                 f"{s.as_of} · {s.policy.hash[:12]}")
    if not check.explanations:
        console.print(f"{s.cadre_keys[0]}：在 {len(s.target_keys):,} 个单位中均无需回避 / "
                      f"no recusal from any of {len(s.target_keys):,} units")
    for ex in check.explanations:
        verdict = ("[red]必须回避 must recuse[/]" if ex.recused else
                   "[yellow]宜回避 should recuse (soft)[/]" if ex.reasons else
                   "[green]无需回避 no recusal[/]")
        console.print(f"{verdict}  {ex.target_name}（{ex.target_key}）")
        console.print(ex.render("zh"), markup=False, highlight=False, soft_wrap=True)
        console.print(ex.render("en"), markup=False, highlight=False, soft_wrap=True)
        console.print()
    for conflict in s.ineligible:
        console.print(f"[red]不具备参加资格 not eligible[/]: {conflict.zh} / {conflict.en}")


def pool_screening(console: Console, overview: PoolScreening) -> None:
    s = overview.screening
    console.rule(f"回避审查 recusal screening · {s.policy.title_zh} / {s.policy.title_en}")
    n_c, n_t = len(s.cadre_keys), len(s.target_keys)
    console.print(f"{n_c:,} 名在库干部 × {n_t:,} 个单位，截至 {s.as_of}，规则哈希 "
                  f"{s.policy.hash[:12]} / {n_c:,} active cadres × {n_t:,} units as of {s.as_of}")
    table = Table(title="按规则 by rule")
    for col in ("规则 rule", "说明 title", "刚性 hard", "适用角色 roles", "回避对数 pairs"):
        table.add_column(col, justify="right" if col.startswith("回避") else "left")
    for rule in s.policy.rules:
        hit = s.hits.get(rule.id)
        if hit is None:
            continue
        roles = "all" if len(rule.roles) == 4 else ",".join(rule.roles)
        table.add_row(rule.id, rule.title_zh.split("：")[0], "是 yes" if rule.hard
                      else "否 soft", roles, f"{hit.nnz:,}")
    console.print(table)
    kin = sum(1 for c in s.team_conflicts if c.reason == "kin")
    console.print(f"同组回避 within-team pairs: {len(s.team_conflicts):,}（亲属 kin {kin:,}，"
                  f"同单位 same home unit {len(s.team_conflicts) - kin:,}）")
    if overview.example is not None:
        console.print("示例说明 example explanation:")
        console.print(overview.example.render("zh"), markup=False, highlight=False,
                      soft_wrap=True)
        console.print(overview.example.render("en"), markup=False, highlight=False,
                      soft_wrap=True)


ROLE_LABEL = {"leader": "组长 leader", "deputy": "副组长 deputy", "member": "组员 member"}


def round_run(console: Console, run: RoundRun) -> None:
    from service.report import recusal_sentence
    from service.rounds import partial_roles, recusal_summary

    plan = run.plan
    console.rule(f"组建巡察组 team assembly · {plan.name}（{plan.key}）")
    console.print(f"{plan.start}—{plan.end}，{len(plan.teams)}个组、{len(plan.targets)}个被巡察单位，"
                  f"候选人{len(run.instance.candidates):,}名（另有{len(run.context.excluded)}名不具备"
                  f"本轮资格）/ {len(plan.teams)} teams, {len(plan.targets)} targets, "
                  f"{len(run.instance.candidates):,} candidates")
    console.print(f"输入哈希 input hash {run.instance.input_hash[:16]}…  [bold]试算[/]（种子 "
                  f"{run.seed}，仅供研判，不能批准；抽取结果须经抽取仪式产生）/ [bold]trial[/] "
                  f"draw (seed {run.seed}): what-if only, never a decision; the draw of record "
                  "comes from a ceremony", highlight=False)
    if run.diagnosis is not None and not run.diagnosis.feasible:
        console.print("[red]无法组建 / cannot be staffed[/]")
        for f in run.diagnosis.findings:
            console.print(f"· {f.zh}\n  {f.en}", markup=False, highlight=False, soft_wrap=True)
        return
    p = run.proposal
    assert p is not None
    gap = f"{p.gap:.2%}" if p.gap is not None else "—"
    wall = "；[red]触及墙钟上限，结果不可复现 wall-clock limit hit[/]" if p.wall_limit_hit else ""
    if p.capped is not None:
        _capped(console, p.capped, p.objective, p.seed, p.runtime_s, wall)
    else:
        console.print(f"状态 status: {p.status}；目标值 objective {p.objective}（最优 best "
                      f"{p.best_objective}，界 bound {p.bound:.0f}，差距 gap {gap}，容差 "
                      f"tolerance {p.tolerance:.0%}）；种子 seed {p.seed}；{p.runtime_s:.1f} s"
                      + wall)
    summary = recusal_summary(run)
    for team in p.teams:
        table = Table(title=f"第{team.no}组 team {team.no} → {'、'.join(team.targets)}",
                      title_justify="left")
        for col in ("姓名 name", "编号 key", "角色 role", "专业特长 skills"):
            table.add_column(col)
        for m in team.members:
            table.add_row(m.name, m.key, ROLE_LABEL[m.role],
                          "、".join(run.instance.skill_names.get(s, s) for s in m.skills))
        console.print(table)
        for r in team.requirements:
            console.print(f"  {'✓' if r.met else '✗'} {r.zh}", markup=False, highlight=False)
        titles = {r.id: r.title_zh for r in run.screening.policy.rules}
        for target, (counts, total) in summary.get(team.no, {}).items():
            name = f"{run.unit_names.get(target, target)}（{target}）"
            console.print("  回避 recusals: " + recusal_sentence(
                name, counts, total, titles, partial_roles(run.screening.policy)),
                          markup=False, highlight=False, soft_wrap=True)
    terms = Table(title="软目标分项 soft terms")
    for col in ("项目 term", "说明", "数值 value", "权重 weight", "贡献 contribution"):
        terms.add_column(col, justify="right" if col[0] in "数权贡" else "left")
    for t in p.terms:
        terms.add_row(t.name, t.zh, str(t.value), f"{'+' if t.sign > 0 else '−'}{t.weight}",
                      f"{t.contribution:+d}")
    console.print(terms)


def _capped(console: Console, c: dict[str, Any], objective: int | None, seed: int,
            seconds: float, wall: str) -> None:
    """A draw under probability caps: what the caps promise, how much of the uncapped
    optimum the distribution keeps, and which of its team sets the seed chose."""
    gap = f"{c['gap']:.2%}" if c["gap"] is not None else "—"
    console.print(f"概率上限 caps：{c['meaning_zh']} / {c['meaning_en']}", markup=False,
                  highlight=False)
    console.print(
        f"状态 status: {c['status']}；分布含{c['team_sets']}套组队方案，期望目标值 expected "
        f"{c['expected']:.1f}，不设上限的最优值 uncapped {c['uncapped']}（{_share(c)}），"
        f"差距 gap {gap}；实际最大概率 largest reached：进组 {c['max_marginal']:.1%}，任组长 "
        f"{c['max_leader_marginal']:.1%}", highlight=False)
    console.print(f"种子 seed {seed} 抽中第{c['drawn']}套（概率 {c['probability']:.1%}，u = "
                  f"{c['draw_point']}）/ drew team set {c['drawn']}；目标值 objective "
                  f"{objective}；容差不适用 tolerance not used；{seconds:.1f} s" + wall,
                  highlight=False)


def _share(capped: dict[str, Any]) -> str:
    """The expected objective as a share of the uncapped optimum (none when that is 0)."""
    return "—" if capped["share"] is None else f"{capped['share']:.1%}"


def cross_run(console: Console, run: CrossRun) -> None:
    plan, p = run.plan, run.pairing
    console.rule(f"交叉巡察 cross-inspection · {plan.name}（{plan.key}）")
    mode = "单循环（推磨）/ one rotation" if plan.rotation else "自由配对 / free pairing"
    if plan.mode == "exchange":
        mode += "；互派混编 / exchange teams"
    console.print(f"{len(run.instance.groups)}个分组，{mode}；不互巡、不重复最近{plan.recent_rounds}"
                  f"轮配对；种子 seed {p.seed}；输入哈希 {p.input_hash[:16]}…", highlight=False)
    lead = "组长一方 lead sides · " if plan.mode == "exchange" else ""
    if not _pairs_table(console, run, p, f"{lead}配对 pairs"):
        return
    caps = plan.cap_settings()
    if caps is not None:
        zh, en = cap_sentence(caps.cap, caps.leader_cap)
        console.print(f"概率上限 caps（在抽定的配对下）：{zh} / {en} (given the pairing)",
                      markup=False, highlight=False)
    if plan.mode == "exchange":
        _exchange_teams(console, run)
        return
    for sender, proposal in sorted(run.proposals.items()):
        for team in proposal.teams:
            people = "、".join(f"{m.name}（{ROLE_LABEL[m.role].split()[0]}）"
                              for m in team.members)
            console.print(f"{run.names[sender]} → {'、'.join(team.targets)}：{people}",
                          markup=False, highlight=False)
        if proposal.capped is not None and proposal.feasible:
            c = proposal.capped
            console.print(f"  {run.names[sender]}：分布含{c['team_sets']}套，抽中第{c['drawn']}套"
                          f"（概率 {c['probability']:.1%}），期望目标值为不设上限最优的 "
                          f"{_share(c)} / drew set {c['drawn']} of {c['team_sets']}",
                          markup=False, highlight=False)
        if not proposal.feasible:
            console.print(f"[red]{run.names[sender]}：派出组无法组建 / cannot staff[/]")
    for f in run.diagnosis.findings if run.diagnosis else ():
        console.print(f"· {f.zh}\n  {f.en}", markup=False, highlight=False, soft_wrap=True)


def _pairs_table(console: Console, run: CrossRun, p: Pairing, title: str) -> bool:
    """The pairs of one pairing, or why none exists (False)."""
    if not p.feasible:
        console.print(f"[red]{title}：无法配对 / no pairing exists[/]")
        for zh, en in p.findings:
            console.print(f"· {zh}\n  {en}", markup=False, highlight=False)
        return False
    table = Table(title=f"{title} · 状态 {p.status}，关联合计 {p.terms.get('ties', 0)}")
    for col in ("派出 sender", "巡察 receiver", "组数 teams", "关联 ties", "说明 why"):
        table.add_column(col)
    for pair in p.pairs:
        table.add_row(run.names[pair.sender], run.names[pair.receiver], str(pair.teams),
                      str(pair.ties), pair.zh)
    console.print(table)
    return True


def _exchange_teams(console: Console, run: CrossRun) -> None:
    """互派: the partner sides, then each mixed team with every member's side."""
    if run.partners is None or not _pairs_table(console, run, run.partners,
                                                "副组长一方 partner sides · 配对 pairs"):
        return
    names = run.names
    if run.exchange is None or not run.exchange.feasible:
        console.print("[red]互派巡察组无法组建 / the exchange teams cannot be staffed[/]")
        for f in run.diagnosis.findings if run.diagnosis else ():
            console.print(f"· {f.zh}\n  {f.en}", markup=False, highlight=False, soft_wrap=True)
        return
    for spec, team in zip(run.teams, run.exchange.teams, strict=True):
        people = "、".join(f"{m.name}（{ROLE_LABEL[m.role].split()[0]}·"
                          f"{names.get(m.side or '', '?')}）" for m in team.members)
        console.print(f"第{team.no}组 {names[spec.lead]}（组长）+ {names[spec.partner]}（副组长）"
                      f" → {names[spec.receiver]} {'、'.join(team.targets)}：{people}",
                      markup=False, highlight=False)
