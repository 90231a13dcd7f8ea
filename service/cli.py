"""The `xuncha` command line: database, import/export, synthetic data and the sample run.

Each command is one unit of work: it opens one transaction, commits when the command
succeeds and rolls back on any error, so a rejected import leaves nothing behind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from service import console as show
from service.cli_audit import audit_app
from service.cli_db import migrate_database, open_database
from service.cli_demo import demo_ceremony
from service.cli_departure import departure_command
from service.cli_draw import draw_app, round_app, seed_app
from service.cli_errors import XunchaGroup, nothing_written_if_interrupted
from service.cli_export import export_command
from service.cli_report import report_command
from service.cli_template import template_command
from service.cli_tokens import token_app
from service.cli_users import user_app
from service.settings import Settings, get_settings

app = typer.Typer(
    help="巡察干部人才库与回避审查 / inspection-cadre pool and conflict-of-interest service",
    no_args_is_help=True,
    add_completion=False,
    cls=XunchaGroup,  # failures become a Chinese + English line, never a traceback
)
db_app = typer.Typer(help="数据库 / database", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(token_app, name="token")
app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")
app.add_typer(seed_app, name="seed")
app.add_typer(round_app, name="round")
app.add_typer(draw_app, name="draw")
app.command("template")(template_command)
app.command("report")(report_command)
app.command("departure")(departure_command)
app.command("export")(export_command)

out = Console()
err = Console(stderr=True)

DatabaseOption = Annotated[
    str | None,
    typer.Option("--database-url", envvar="XUNCHA_DATABASE_URL",
                 help="SQLAlchemy URL (default: SQLite file var/xuncha.sqlite3)"),
]


def _settings(database_url: str | None) -> Settings:
    settings = get_settings()
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    return settings


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseOption = None) -> None:
    """应用全部迁移 / apply all migrations (alembic upgrade head)."""
    settings = _settings(database_url)
    migrate_database(settings.database_url).dispose()
    out.print(f"[green]数据库已是最新结构 / database schema is up to date[/]: "
              f"{show.safe_url(settings.database_url)}")


@app.command("import")
def import_command(
    path: Annotated[Path, typer.Argument(help=".csv/.xlsx 文件或目录 / file or directory",
                                         exists=True)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只校验不写入 / validate only")]
    = False,
    errors_out: Annotated[Path | None, typer.Option(
        help="把全部错误写入该 CSV 文件 / write every error to this CSV file")] = None,
    database_url: DatabaseOption = None,
) -> None:
    """导入人才库数据（全部成功或全部不写入）/ import pool data, all or nothing."""
    from pool.db import transaction
    from pool.importer import ImportRejected
    from service.imports import cli_actor, import_and_record

    settings = _settings(database_url)
    try:
        with nothing_written_if_interrupted():  # all or nothing: Ctrl-C rolls it back
            engine = migrate_database(settings.database_url)
            with show.table_progress(out) as progress, transaction(engine) as session:
                report = import_and_record(session, path, actor=cli_actor(),
                                           dry_run=dry_run, progress=progress,
                                           source=str(path))
    except ImportRejected as rejected:
        show.import_errors(err, rejected.errors, errors_out)
        raise typer.Exit(1) from None
    show.import_report(out, report)


@app.command("generate")
def generate_command(
    out_dir: Annotated[Path, typer.Option("--out", help="输出目录 / output directory")],
    scale: Annotated[str, typer.Option(help="city 或 province")] = "city",
    seed: Annotated[int, typer.Option(help="随机种子 / random seed")] = 2026,
) -> None:
    """生成确定性的合成数据（无真实个人信息）/ write deterministic synthetic data."""
    from pool.synthetic import generate

    if scale not in ("city", "province"):
        err.print("[red]--scale 须为 city 或 province / must be city or province[/]")
        raise typer.Exit(2)
    with out.status("生成中 generating…") as status:
        counts = generate(scale, seed, out_dir,  # type: ignore[arg-type]
                          progress=lambda msg: status.update(msg))
    show.counts_table(out, "合成数据 synthetic data", counts)


@app.command("summary")
def summary_command(database_url: DatabaseOption = None) -> None:
    """人才库概况 / pool summary."""
    from pool.db import transaction
    from pool.repository import PoolRepository

    engine = open_database(_settings(database_url).database_url)
    with transaction(engine) as session:
        repo = PoolRepository(session)
        show.pool_summary(out, repo.counts(), repo.pool_summary())


@app.command("recusals")
def recusals_command(
    cadre: Annotated[str, typer.Option(
        "--cadre", help="干部的人员编号或姓名（同名时须用编号）/ the cadre's person key or exact "
        "name (the key when several share it)")],
    unit: Annotated[list[str] | None, typer.Option(
        "--unit", help="被巡察单位编号或名称，可重复；省略则审查全部单位 / target unit key or "
        "exact name, repeatable; all units when omitted")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="审查基准日 YYYY-MM-DD，默认今天 / date the ties are evaluated on, "
        "default today")] = None,
    policy: Annotated[str, typer.Option(
        "--policy", help="回避规则名称或 YAML 文件 / policy name or YAML file")] = "default",
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON / print JSON")] = False,
    database_url: DatabaseOption = None,
) -> None:
    """回避审查：某干部对哪些单位须回避、依据和证据 / why a cadre is or is not recused."""
    import datetime as dt
    import json

    from conflicts.policy import PolicyError, load_policy
    from conflicts.screening import ScreeningError
    from pool.db import transaction
    from pool.repository import PoolRepository
    from service.bounds import DATE_MAX, DATE_MIN, in_date_range
    from service.recusals import check_cadre, open_index, resolve_cadre, resolve_units

    try:
        day = in_date_range(dt.date.fromisoformat(as_of) if as_of else dt.date.today())
    except ValueError:
        err.print(f"[red]--as-of 日期无效：{as_of}；请用 {DATE_MIN} 至 {DATE_MAX} 之间的 "
                  f"YYYY-MM-DD / invalid date {as_of}; use YYYY-MM-DD between {DATE_MIN} and "
                  f"{DATE_MAX}[/]")
        raise typer.Exit(2) from None
    try:
        rules = load_policy(policy)
        engine = open_database(_settings(database_url).database_url)
        with transaction(engine) as session:
            index = open_index(session, day)
            repo = PoolRepository(session)
            cadre = resolve_cadre(repo, index, cadre)
            units = resolve_units(repo, index, unit) if unit else None
        check = check_cadre(index, rules, cadre, units)
    except (PolicyError, ScreeningError) as exc:
        err.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    if as_json:
        payload = {"cadre": cadre, "as_of": day.isoformat(), "policy": rules.name,
                   "policy_version": rules.version, "policy_hash": rules.hash,
                   "units_checked": len(check.screening.target_keys),
                   "ineligible": [{"rule_id": i.rule_id, "reason": i.reason, "zh": i.zh,
                                   "en": i.en} for i in check.screening.ineligible],
                   "explanations": [ex.to_dict() for ex in check.explanations]}
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        show.cadre_check(out, check)


@app.command("assemble")
def assemble_command(
    round_file: Annotated[Path, typer.Argument(help="轮次文件 .yaml/.json / round file",
                                               exists=True)],
    seed: Annotated[int | None, typer.Option(help="抽签种子；默认取轮次文件中的 seed / "
                                             "draw seed; default: the file's seed")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON / print JSON")] = False,
    database_url: DatabaseOption = None,
) -> None:
    """组建巡察组：回避审查、优化、抽签 / assemble a round's teams from a round file."""
    import json

    from conflicts.policy import PolicyError
    from conflicts.screening import ScreeningError
    from pool.db import transaction
    from service.rounds import RoundFileError, assemble_round, read_round_file, run_to_dict

    try:
        spec = read_round_file(round_file)
        chosen = seed if seed is not None else spec.seed
        if chosen is None:
            raise RoundFileError("没有抽签种子：请用 --seed 或在轮次文件中写 seed / no seed: "
                                 "pass --seed or put seed in the round file")
        engine = open_database(_settings(database_url).database_url)
        with transaction(engine) as session:
            run = assemble_round(session, spec, chosen)
    except (RoundFileError, PolicyError, ScreeningError, ValueError) as exc:
        err.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(run_to_dict(run), ensure_ascii=False, indent=2, default=str))
    else:
        show.round_run(out, run)
    if run.proposal is not None and run.proposal.wall_limit_hit:
        err.print("求解被墙钟时限中止，结果不可复现，不作为结果 / the wall-clock safety net "
                  "stopped the solve: not reproducible, not a result")
        raise typer.Exit(3)
    if run.proposal is None or not run.proposal.feasible:
        raise typer.Exit(3)


@app.command("pair")
def pair_command(
    plan_file: Annotated[Path, typer.Argument(help="交叉巡察计划 .yaml / plan file",
                                              exists=True)],
    seed: Annotated[int | None, typer.Option(help="抽签种子 / draw seed")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON / print JSON")] = False,
    database_url: DatabaseOption = None,
) -> None:
    """交叉巡察配对并组建各派出组 / pair groups for cross-inspection and staff the teams."""
    import json

    from conflicts.policy import PolicyError
    from pool.db import transaction
    from service.cross import cross_to_dict, read_cross_file, run_cross
    from service.rounds import RoundFileError

    try:
        plan = read_cross_file(plan_file)
        chosen = seed if seed is not None else plan.seed
        if chosen is None:
            raise RoundFileError("没有抽签种子：请用 --seed 或在计划中写 seed / no seed")
        engine = open_database(_settings(database_url).database_url)
        with transaction(engine) as session:
            run = run_cross(session, plan, chosen)
    except (RoundFileError, PolicyError, ValueError) as exc:
        err.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(cross_to_dict(run), ensure_ascii=False, indent=2, default=str))
    else:
        show.cross_run(out, run)
    if not run.feasible:  # not paired, or some team not staffed
        raise typer.Exit(3)


@app.command("demo")
def demo_command(
    sample: Annotated[Path | None, typer.Option(help="样例数据目录 / sample data directory")]
    = None,
    database_url: DatabaseOption = None,
) -> None:
    """主流程：建库、迁移、导入样例城市、打印概况 / the main job on the embedded default."""
    from conflicts.policy import load_policy
    from pool.db import transaction
    from pool.importer import ImportRejected
    from pool.repository import PoolRepository
    from service.cross import read_cross_file, run_cross
    from service.imports import cli_actor, import_and_record
    from service.recusals import open_index, screen_pool
    from service.rounds import assemble_round, read_round_file

    settings = _settings(database_url)
    source = sample or settings.sample_data_dir
    out.rule("巡察干部人才库 xuncha · 样例城市 sample city")
    out.print(f"数据库 database: {show.safe_url(settings.database_url)}")
    engine = migrate_database(settings.database_url)
    try:
        with show.table_progress(out) as progress, transaction(engine) as session:
            report = import_and_record(session, source, actor=cli_actor(), progress=progress,
                                       source=str(source))
    except ImportRejected as rejected:
        show.import_errors(err, rejected.errors, None)
        raise typer.Exit(1) from None
    show.import_report(out, report)
    with transaction(engine) as session:
        repo = PoolRepository(session)
        show.pool_summary(out, repo.counts(), repo.pool_summary())
        index = open_index(session, settings.sample_as_of)
    show.pool_screening(out, screen_pool(index, load_policy("default")))
    round_file = read_round_file(settings.sample_round)
    with transaction(engine) as session:
        run = assemble_round(session, round_file, round_file.seed or 0)
    show.round_run(out, run)
    cross_plan = read_cross_file(settings.sample_cross)
    with transaction(engine) as session:
        show.cross_run(out, run_cross(session, cross_plan, cross_plan.seed or 0))
    demo_ceremony(settings.database_url, settings.sample_round)


@app.command("serve")
def serve_command(
    host: Annotated[str | None, typer.Option(help="监听地址 / bind address")] = None,
    port: Annotated[int | None, typer.Option(help="端口 / port", min=1, max=65535)] = None,
    workers: Annotated[int, typer.Option(help="进程数 / worker processes", min=1)] = 1,
    database_url: DatabaseOption = None,
) -> None:
    """启动 HTTP API（/v1，文档在 /docs）/ run the HTTP API (uvicorn)."""
    import os
    import sys
    from contextlib import suppress

    import uvicorn

    from service.cli_serve import check_address, listening_lines
    from service.http_protocol import PROTOCOL

    settings = _settings(database_url)
    host, port = host or settings.host, port or settings.port
    check_address(host, port)
    migrate_database(settings.database_url).dispose()
    os.environ["XUNCHA_DATABASE_URL"] = settings.database_url  # for worker processes
    get_settings.cache_clear()  # one process: the factory must not get the cached default
    for line in listening_lines(host, port, workers, show.safe_url(settings.database_url)):
        typer.echo(line)
    sys.stdout.flush()  # before uvicorn takes over, also when stdout is a log file
    with suppress(KeyboardInterrupt):  # Ctrl-C: uvicorn stops gracefully and returns
        # h11 with a deadline and a size limit for request heads (service/http_protocol.py)
        uvicorn.run("service.app:create_app", factory=True, host=host, port=port,
                    workers=workers, log_level="warning", http=PROTOCOL,
                    h11_max_incomplete_event_size=settings.max_header_bytes)
    typer.echo("服务已停止 / the server stopped", err=True)


if __name__ == "__main__":  # pragma: no cover
    app()
