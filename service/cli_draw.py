"""The draw ceremony on the command line: `xuncha seed` (on a party's own machine: make a
secret and its commitment, recompute a seed) and `xuncha round create` / `xuncha draw …`
(the same service functions as the HTTP API, acting as the holder of `--token`)."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from sqlalchemy import Engine

from service.auth import Action, Principal

seed_app = typer.Typer(help="抽取仪式的秘密值与种子（在本方电脑上）/ secrets and seeds of a "
                            "draw ceremony, on a party's own machine", no_args_is_help=True)
round_app = typer.Typer(help="巡察轮次 / rounds", no_args_is_help=True)
draw_app = typer.Typer(help="抽取仪式 / the draw ceremony", no_args_is_help=True)

out = Console()
err = Console(stderr=True)
T = TypeVar("T")

TokenOption = Annotated[str, typer.Option(
    "--token", envvar="XUNCHA_TOKEN", help="本人的令牌（或环境变量 XUNCHA_TOKEN）/ your token")]
DatabaseOption = Annotated[str | None, typer.Option(
    "--database-url", envvar="XUNCHA_DATABASE_URL",
    help="SQLAlchemy URL (default: SQLite file var/xuncha.sqlite3)")]


# -- seed: no database, no network ------------------------------------------------------

SpecOption = Annotated[str, typer.Option(
    "--spec", help="本次抽取的规格哈希（先核对规格）/ the draw's specification sha256 (read the "
                   "specification first)")]


@seed_app.command("new")
def seed_new(spec: SpecOption, out_file: Annotated[Path | None, typer.Option(
        "--out", help="把秘密值写入此文件（仅本人可读）/ write the secret to this file "
                      "(owner-only)")] = None) -> None:
    """生成256比特秘密值及其对本次规格的承诺 / make a 256-bit secret and its commitment to
    this draw's specification."""
    from assignment.ceremony import CeremonyError, new_secret, secret_commitment

    secret = new_secret()
    try:
        commitment = secret_commitment(spec.strip(), secret)
    except CeremonyError as exc:
        err.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    if out_file is not None:
        try:
            fd = os.open(out_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            err.print(f"无法新建 {out_file}（不覆盖已有文件）/ cannot create it (an existing "
                      f"file is never overwritten): {exc.strerror}", markup=False)
            raise typer.Exit(2) from None
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(secret + "\n")
        out.print(f"秘密值已写入 secret written to {out_file}（揭示前勿外传 / keep it until "
                  "the reveal）", highlight=False)
    else:
        out.print(f"秘密值 secret（揭示前只留在本机 / keep it on this machine until the "
                  f"reveal）:\n{secret}", highlight=False)
    out.print(f"承诺 commitment（现在提交 / submit now）:\n{commitment}", highlight=False)


@seed_app.command("check")
def seed_check(secret: Annotated[str, typer.Argument(help="秘密值 / the secret")],
               commitment: Annotated[str, typer.Argument(help="承诺 / the commitment")],
               spec: SpecOption) -> None:
    """核对秘密值与承诺是否相符（退出码 0 相符，1 不符）/ does the secret match?"""
    from assignment.ceremony import CeremonyError, secret_commitment

    try:
        ok = secret_commitment(spec.strip(), secret.strip()) == commitment.strip()
    except CeremonyError as exc:
        err.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    out.print("相符 / matches" if ok else "不符 / does not match")
    if not ok:
        raise typer.Exit(1)


@seed_app.command("derive")
def seed_derive(
    spec_sha256: Annotated[str, typer.Option("--spec", help="规格 sha256 / spec hash")],
    party: Annotated[list[str], typer.Option(
        "--party", help="角色=秘密值，按仪式顺序重复 / role=secret, repeated in order")],
    public: Annotated[str | None, typer.Option(help="公开值 / the public value")] = None,
) -> None:
    """复算种子（审计用）/ recompute a seed from the revealed secrets (for auditors)."""
    from assignment.ceremony import CeremonyError, derive_seed, seed_preimage

    pairs = [tuple(p.split("=", 1)) for p in party]
    if any(len(p) != 2 for p in pairs):
        err.print("--party 须写成 角色=秘密值 / write --party as role=secret")
        raise typer.Exit(2)
    revealed = [(r, s) for r, s in pairs]
    try:
        text = seed_preimage(spec_sha256, revealed, public)
        seed = derive_seed(spec_sha256, revealed, public)
    except CeremonyError as exc:
        err.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    out.print(f"原文 preimage:\n{text}种子 seed: {seed}", highlight=False, markup=False)


# -- acting as a token's holder -----------------------------------------------------------

def _engine(database_url: str | None) -> Engine:
    from service import cli_db

    return cli_db.open_database(cli_db.database_url(database_url))


def _principal(engine: Engine, token: str) -> Principal:
    from pool.db import transaction
    from service.auth import find_token, principal_of, region_subtree

    with transaction(engine) as session:
        row = find_token(session, token.strip())
        if row is None:
            err.print("令牌无效或已吊销 / invalid or revoked token")
            raise typer.Exit(2)
        return principal_of(row, lambda scope: region_subtree(session, scope))


@contextmanager
def _refusals(engine: Engine, principal: Principal, command: str) -> Iterator[None]:
    """A refused step prints its reason and is audited, as over HTTP."""
    from pool.db import transaction
    from service import audit
    from service.errors import DomainError

    try:
        yield
    except DomainError as exc:
        with transaction(engine, write=True) as session:
            kind = "auth.denied" if exc.status == 403 else "draw.refused"
            audit.record(session, principal.actor, kind, object_type="cli",
                         object_key=command, data={"command": command, "code": exc.code,
                                                   "field": exc.field, "zh": exc.zh,
                                                   "en": exc.en, "role": principal.role.value})
        err.print(f"已拒绝 refused: {exc.zh}\n{exc.en}", markup=False, highlight=False)
        raise typer.Exit(1) from None


def _act(database_url: str | None, token: str, action: Action, command: str,
         step: Callable[[Any, Principal], T]) -> tuple[Engine, Principal, T]:
    """Run `step(session, principal)` in one transaction as the token's holder."""
    from pool.db import transaction
    from service.errors import Forbidden

    engine = _engine(database_url)
    principal = _principal(engine, token)
    with _refusals(engine, principal, command):
        if not principal.may(action):
            raise Forbidden(f"角色“{principal.role.value}”无权执行此操作（{action.value}）",
                            f"role {principal.role.value} may not do this ({action.value})")
        with transaction(engine, write=True) as session:
            return engine, principal, step(session, principal)


def _visible(session: Any, principal: Principal, round_key: str) -> None:
    from service.decisions import round_plan
    from service.errors import Forbidden

    row, _plan = round_plan(session, round_key)
    if not principal.sees_region(row.region_code):
        raise Forbidden(f"轮次 {round_key} 不在令牌的区划范围内",
                        f"round {round_key} lies outside the token's region scope")


def _draw_round(session: Any, principal: Principal, draw_id: int) -> None:
    from service.ceremony import draw_or_404

    _visible(session, principal, draw_or_404(session, draw_id).round_key)


def show_draw(engine: Engine, draw_id: int) -> dict[str, Any]:
    from pool.db import transaction
    from service.api.draws import draw_read
    from service.ceremony import draw_or_404

    with transaction(engine) as session:
        read = draw_read(session, draw_or_404(session, draw_id))
    data = read.model_dump(mode="json")
    out.print(f"第{data['number']}次抽取（共{data['of']}次）/ draw {data['number']} of "
              f"{data['of']} · #{data['id']} · {data['status_zh']} {data['status']}",
              highlight=False, soft_wrap=True)
    out.print(f"  规格 spec sha256 {data['spec_sha256']}", highlight=False, soft_wrap=True)
    for p in data["parties"]:
        out.print(f"  {p['role_zh']} {p['role']}: 承诺 commitment {p['commitment'] or '—'}"
                  + (f"；秘密值 secret {p['secret']}" if p["secret"] else ""), highlight=False,
                  soft_wrap=True)
    if data["seed"]:
        out.print(f"  种子 seed {data['seed']}", highlight=False, soft_wrap=True)
    return data


def run_job(engine: Engine, job_id: str | None) -> int | None:
    """Run the draw's queued job here (a running server may take it first: either way it
    runs once)."""
    from pool.db import transaction
    from pool.models import Job
    from service import (
        draw_job,  # noqa: F401  (registers the "proposal" job handler)
        jobs,
    )

    if job_id is None:
        return None
    job = jobs.claim(engine, f"cli:{socket.gethostname()}:{os.getpid()}", job_id)
    if job is not None:
        out.print("抽取中 drawing…")
        jobs.run_one(engine, job)
    with transaction(engine) as session:
        row = session.get(Job, job_id)
        assert row is not None
        status, result, error = row.status, row.result, row.error
    if status == "succeeded" and result:
        proposal_id = int(json.loads(result)["proposal_id"])
        out.print(f"[green]已抽取 drawn[/]: 方案 proposal #{proposal_id}")
        return proposal_id
    if status == "failed" and error:
        e = json.loads(error)
        err.print(f"抽取失败 the draw failed: {e['zh']}\n{e['en']}", markup=False)
        raise typer.Exit(3)
    out.print(f"任务 job {job_id}: {status}")
    return None


@round_app.command("create")
def round_create(
    plan_file: Annotated[Path, typer.Argument(help="轮次文件或交叉巡察计划 .yaml/.json",
                                              exists=True)],
    token: TokenOption, region: Annotated[str | None, typer.Option(
        help="组织本轮的党委所在区划 / the committee's region")] = None,
    database_url: DatabaseOption = None,
) -> None:
    """新建轮次（与 POST /v1/rounds 相同）/ create a round from its file."""
    import yaml

    from service.cross import CrossFile, read_cross_file
    from service.decisions import create_round
    from service.rounds import RoundFile, RoundFileError, read_round_file

    try:
        data = yaml.safe_load(plan_file.read_text(encoding="utf-8"))
        # a cross plan lists its sending groups and has no teams; a round's `groups` is
        # its catalogue of checking groups (a mapping) beside its teams
        cross = isinstance(data, dict) and isinstance(data.get("groups"), list) \
            and "teams" not in data
        spec: RoundFile | CrossFile = (read_cross_file(plan_file) if cross
                                       else read_round_file(plan_file))
    except (RoundFileError, OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        err.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None

    def step(session: Any, who: Principal) -> str:
        return create_round(session, spec, region=region, actor=who.actor,
                            creator=who.regions, creator_scope=who.scope).key

    _e, _p, key = _act(database_url, token, Action.rounds_write, "round create", step)
    out.print(f"[green]已建轮次 round created[/] {key}")


@draw_app.command("open")
def draw_open(
    round_key: Annotated[str, typer.Argument(help="轮次编号 / round key")], token: TokenOption,
    reveal_by: Annotated[str, typer.Option(help="揭示截止，带时区，如 2027-02-20T18:00+08:00 "
                                                "/ reveal deadline with its offset")],
    reason: Annotated[str | None, typer.Option(help="第2次起必填 / required from draw 2")]
    = None,
    public_source: Annotated[str | None, typer.Option(help="公开值来源 / public value source")]
    = None,
    public_after: Annotated[str | None, typer.Option(help="公开值公布日期 YYYY-MM-DD")] = None,
    database_url: DatabaseOption = None,
) -> None:
    """开始抽取：封存抽取规格 / open a draw and seal its specification."""
    from service.ceremony import DrawRequest, open_draw
    from service.decisions import round_file, round_plan
    from service.recusals import open_index

    try:
        deadline = dt.datetime.fromisoformat(reveal_by)
        after = dt.date.fromisoformat(public_after) if public_after else None
    except ValueError:
        err.print("日期格式无效 / invalid date: use 2027-02-20T18:00+08:00 and YYYY-MM-DD")
        raise typer.Exit(2) from None
    if deadline.tzinfo is None:
        err.print("--reveal-by 须带时区，如 +08:00 / give the offset, e.g. +08:00")
        raise typer.Exit(2)

    def step(session: Any, who: Principal) -> int:
        _visible(session, who, round_key)
        spec = round_file(round_plan(session, round_key)[1])
        index = open_index(session, spec.as_of or spec.start)
        return open_draw(session, index, round_key,
                         DrawRequest(deadline, reason, public_source, after), who).id

    engine, _p, draw_id = _act(database_url, token, Action.rounds_write, "draw open", step)
    show_draw(engine, draw_id)


@draw_app.command("consent")
def draw_consent(draw_id: Annotated[int, typer.Argument(help="抽取编号 / draw id")],
                 token: TokenOption, note: Annotated[str | None, typer.Option()] = None,
                 database_url: DatabaseOption = None) -> None:
    """同意再次抽取（另一角色）/ consent to a further draw (a second role)."""
    from service.ceremony import consent

    def step(session: Any, who: Principal) -> None:
        _draw_round(session, who, draw_id)
        consent(session, draw_id, who, note)

    engine, _p, _r = _act(database_url, token, Action.draw_consent, "draw consent", step)
    show_draw(engine, draw_id)


@draw_app.command("commit")
def draw_commit(draw_id: Annotated[int, typer.Argument(help="抽取编号 / draw id")],
                commitment: Annotated[str, typer.Option(help="sha256(秘密值)")],
                token: TokenOption, database_url: DatabaseOption = None) -> None:
    """提交本方承诺 / submit this party's commitment."""
    from service.ceremony import commit

    def step(session: Any, who: Principal) -> None:
        _draw_round(session, who, draw_id)
        commit(session, draw_id, who, commitment.strip())

    engine, _p, _r = _act(database_url, token, Action.draw_party, "draw commit", step)
    show_draw(engine, draw_id)


@draw_app.command("reveal")
def draw_reveal(draw_id: Annotated[int, typer.Argument(help="抽取编号 / draw id")],
                token: TokenOption,
                secret: Annotated[str | None, typer.Option(help="秘密值 / the secret")] = None,
                secret_file: Annotated[Path | None, typer.Option(
                    help="或从文件读取 / or read it from a file", exists=True)] = None,
                run: Annotated[bool, typer.Option(help="种子确定后在此运行抽取 / run the "
                                                       "draw here once seeded")] = True,
                database_url: DatabaseOption = None) -> None:
    """按顺序揭示本方秘密值 / reveal this party's secret, in order."""
    from service.ceremony import reveal

    if (secret is None) == (secret_file is None):
        err.print("给出 --secret 或 --secret-file 之一 / give --secret or --secret-file")
        raise typer.Exit(2)
    value = secret if secret is not None else (secret_file.read_text(encoding="utf-8")
                                               if secret_file else "")

    _seeding_step(database_url, token, draw_id, "draw reveal", run,
                  lambda session, who: reveal(session, draw_id, who, value.strip()))


@draw_app.command("public")
def draw_public(draw_id: Annotated[int, typer.Argument(help="抽取编号 / draw id")],
                value: Annotated[str, typer.Option(help="公布的公开值 / the published value")],
                token: TokenOption, run: Annotated[bool, typer.Option()] = True,
                database_url: DatabaseOption = None) -> None:
    """录入公开值 / enter the published public value."""
    from service.ceremony import enter_public_value

    _seeding_step(database_url, token, draw_id, "draw public", run,
                  lambda session, who: enter_public_value(session, draw_id, who, value))


def _seeding_step(database_url: str | None, token: str, draw_id: int, command: str,
                  run: bool, fn: Callable[[Any, Principal], tuple[Any, Any]]) -> None:
    """A party's step that may fix the seed; then the draw runs here unless `run` is
    off (a server's worker may take it first)."""
    def step(session: Any, who: Principal) -> str | None:
        _draw_round(session, who, draw_id)
        _row, job = fn(session, who)
        return None if job is None else str(job.id)

    engine, _p, job_id = _act(database_url, token, Action.draw_party, command, step)
    show_draw(engine, draw_id)
    if run:
        run_job(engine, job_id)


@draw_app.command("show")
def draw_show(round_key: Annotated[str, typer.Argument(help="轮次编号 / round key")],
              token: TokenOption, database_url: DatabaseOption = None) -> None:
    """本轮各次抽取 / the round's draws."""
    from service.ceremony import round_draws

    def step(session: Any, who: Principal) -> list[int]:
        _visible(session, who, round_key)
        return [d.id for d in round_draws(session, round_key)]

    engine, _p, ids = _act(database_url, token, Action.rounds_read, "draw show", step)
    if not ids:
        out.print("本轮尚未抽取 / no draws yet")
    for draw_id in ids:
        show_draw(engine, draw_id)
