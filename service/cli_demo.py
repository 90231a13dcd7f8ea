"""The demo's draw ceremony (`xuncha demo`): two parties whose secrets are made on the
spot, commit, reveal, the seed, the draw of record, and how to recompute it by hand."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import Engine

from service.auth import Principal
from service.cli_draw import out, run_job, show_draw


def demo_ceremony(database_url: str, round_path: Path) -> None:
    """The demo's draw ceremony: two parties (tokens made here), their secrets made on
    the spot, commit, reveal, the seed, the draw of record, and how to recompute it."""
    from assignment.ceremony import new_secret, secret_commitment
    from pool.db import make_engine, transaction
    from pool.models import Round
    from service import audit
    from service.auth import Role, issue_token
    from service.ceremony import DrawRequest, commit, open_draw, reveal
    from service.decisions import create_round
    from service.recusals import open_index
    from service.rounds import read_round_file

    engine = make_engine(database_url)
    spec = read_round_file(round_path)
    out.rule("抽取仪式 draw ceremony（演示 demo）")
    with transaction(engine) as session:
        k = 1
        while session.get(Round, f"{spec.key}-演示{k}") is not None:
            k += 1
        key = f"{spec.key}-演示{k}"
        who = {}
        parties = ((Role.organizer, "演示·组织部巡察办"), (Role.supervisor, "演示·纪检监察组"))
        for role, name in parties:
            issued = issue_token(session, name=f"{name}{k}", role=role, scope=None,
                                 created_by="demo", now=audit.utcnow())
            who[role] = Principal(issued.id, f"{name}{k}", role, None, None)
        demo = spec.model_copy(update={"key": key, "name": f"{spec.name}（演示）"})
        create_round(session, demo, region=None, actor=who[Role.organizer].actor)
        index = open_index(session, spec.as_of or spec.start)
        deadline = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        draw = open_draw(session, index, key, DrawRequest(deadline), who[Role.organizer])
        draw_id, spec_sha256 = draw.id, draw.spec_sha256
    out.print(f"轮次 round {key}：组织方开始第1次抽取，封存规格 / the organizing office opened "
              f"draw 1 and sealed its specification: sha256 {draw.spec_sha256}",
              highlight=False, soft_wrap=True)
    out.print("[yellow]演示：两方的秘密值在此当场生成；实际中各方在自己的电脑上运行 "
              "`./dev xuncha seed new`，只提交承诺 / demo: both parties' secrets are made here on "
              "the spot; in practice each party runs `./dev xuncha seed new` on its own machine "
              "and submits only the commitment[/]", soft_wrap=True)
    secrets = {role: new_secret() for role in who}
    job_id = None
    with transaction(engine, write=True) as session:
        for role, principal in who.items():
            commit(session, draw_id, principal, secret_commitment(spec_sha256, secrets[role]))
        for role, principal in who.items():
            _row, job = reveal(session, draw_id, principal, secrets[role])
            job_id = job.id if job else job_id
    data = show_draw(engine, draw_id)
    proposal_id = run_job(engine, job_id)
    if proposal_id is not None:
        _teams(engine, proposal_id)
    out.print("复算 recompute by hand / 手工复算:", soft_wrap=True)
    for role in who:
        out.print(f"  printf 'xuncha-draw-commit-v1\\nspec %s\\nsecret %s\\n' {spec_sha256} "
                  f"{secrets[role]} | sha256sum   # = {role} 的承诺 commitment "
                  f"{data['parties'][0 if role is Role.organizer else 1]['commitment']}",
                  highlight=False, soft_wrap=True, markup=False)
    preimage = data["seed_preimage"].replace("\n", "\\n")
    out.print(f"  printf '{preimage}' | sha256sum   # = 种子 seed {data['seed']}",
              highlight=False, soft_wrap=True, markup=False)
    out.print("  详见 see docs/draw.md", highlight=False)


def _teams(engine: Engine, proposal_id: int) -> None:
    from pool.db import transaction
    from pool.models import ProposalRecord

    role_zh = {"leader": "组长", "deputy": "副组长", "member": "组员"}
    with transaction(engine) as session:
        row = session.get(ProposalRecord, proposal_id)
        assert row is not None
        teams = json.loads(row.teams)["teams"]
    for t in teams:
        members = "、".join(f"{x['name']}（{role_zh[x['role']]}）" for x in t["members"])
        out.print(f"  第{t['no']}组 team {t['no']} → {'、'.join(t['targets'])}：{members}",
                  highlight=False, soft_wrap=True)
