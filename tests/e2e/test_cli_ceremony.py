"""The draw ceremony from the command line, as the two parties would run it on their own
machines (`xuncha seed new`) and against the service's database (`xuncha draw …` with
their tokens): the same rules as over HTTP, refusals audited."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from typer.testing import CliRunner

from assignment.ceremony import new_secret, secret_commitment
from pool import models as m
from pool.db import make_engine, transaction
from service.cli import app

runner = CliRunner()
ROUND_FILE = Path(__file__).resolve().parents[2] / "sample_data" / "rounds" / "2026-4.yaml"


def xuncha(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_a_ceremony_from_the_command_line(city_sqlite_url: str, tmp_path: Path) -> None:
    db = ("--database-url", city_sqlite_url)
    tokens = {}
    for role in ("organizer", "supervisor", "viewer"):
        code, output = xuncha("token", "create", "--role", role, "--name", f"cli-{role}", *db)
        assert code == 0, output
        tokens[role] = output.strip().splitlines()[-1]
    code, output = xuncha("round", "create", str(ROUND_FILE), "--token", tokens["organizer"],
                          *db)
    assert code == 0 and "R2026-04" in output, output
    deadline = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    code, output = xuncha("draw", "open", "R2026-04", "--reveal-by", deadline,
                          "--token", tokens["viewer"], *db)
    assert code == 1 and "无权" in output, output
    code, output = xuncha("draw", "open", "R2026-04", "--reveal-by", "2027-01-01T00:00",
                          "--token", tokens["organizer"], *db)
    assert code == 2 and "时区" in output
    code, output = xuncha("draw", "open", "R2026-04", "--reveal-by", deadline,
                          "--token", tokens["organizer"], *db)
    assert code == 0 and "第1次抽取（共1次）" in output, output
    spec = re.search(r"规格 spec sha256 ([0-9a-f]{64})", output)
    assert spec is not None
    secrets, commitments = {}, {}
    for role in ("organizer", "supervisor"):
        file = tmp_path / f"{role}.secret"
        code, output = xuncha("seed", "new", "--spec", spec.group(1), "--out", str(file))
        assert code == 0 and oct(file.stat().st_mode & 0o777) == "0o600"
        secrets[role] = file.read_text().strip()
        commitments[role] = output.strip().splitlines()[-1]
        assert secrets[role] not in output  # written to the file only
        assert xuncha("seed", "check", secrets[role], commitments[role],
                      "--spec", spec.group(1))[0] == 0
    assert xuncha("seed", "check", secrets["organizer"], commitments["supervisor"],
                  "--spec", spec.group(1))[0] == 1
    assert xuncha("seed", "check", secrets["organizer"], commitments["organizer"],
                  "--spec", "0" * 64)[0] == 1  # a commitment is to one specification
    code, output = xuncha("seed", "new", "--spec", spec.group(1), "--out",
                          str(tmp_path / "organizer.secret"))
    assert code == 2 and "overwritten" in output
    for role in ("organizer", "supervisor"):
        code, output = xuncha("draw", "commit", "1", "--commitment", commitments[role],
                              "--token", tokens[role], *db)
        assert code == 0, output
    code, output = xuncha("draw", "reveal", "1", "--secret", secrets["supervisor"],
                          "--token", tokens["supervisor"], *db)
    assert code == 1 and "先揭示" in output and "reveals first" in output
    code, output = xuncha("draw", "reveal", "1", "--secret-file",
                          str(tmp_path / "organizer.secret"), "--token", tokens["organizer"],
                          *db)
    assert code == 0, output
    code, output = xuncha("draw", "reveal", "1", "--secret", secrets["supervisor"],
                          "--token", tokens["supervisor"], *db)
    assert code == 0 and "已抽取 drawn" in output, output
    seed = re.search(r"种子 seed ([0-9a-f]{64})", output)
    assert seed is not None
    code, derived = xuncha("seed", "derive", "--spec", spec.group(1),
                           "--party", f"organizer={secrets['organizer']}",
                           "--party", f"supervisor={secrets['supervisor']}")
    assert code == 0 and derived.strip().endswith(seed.group(1))
    engine = make_engine(city_sqlite_url)
    with transaction(engine) as session:
        proposal = session.execute(select(m.ProposalRecord)).scalar_one()
        assert proposal.kind == "record" and proposal.seed_hex == seed.group(1)
        refused = [json.loads(e.data) for e in session.execute(select(m.AuditEvent).where(
            m.AuditEvent.kind.in_(("draw.refused", "auth.denied")))).scalars()]
    engine.dispose()
    assert {r["code"] for r in refused} >= {"reveal_order", "forbidden"}


def test_a_public_value_from_the_command_line(city_sqlite_url: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from service import ceremony

    db = ("--database-url", city_sqlite_url)
    plan = yaml.safe_load(ROUND_FILE.read_text(encoding="utf-8")) | {"key": "R-PUB"}
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    tokens = {role: xuncha("token", "create", "--role", role, *db)[1].strip().splitlines()[-1]
              for role in ("organizer", "supervisor")}
    assert xuncha("round", "create", str(plan_file), "--token", tokens["organizer"], *db)[0] == 0
    now = dt.datetime.now(dt.UTC)
    after = (now + dt.timedelta(days=2)).date().isoformat()
    code, output = xuncha("draw", "open", "R-PUB", "--reveal-by",
                          (now + dt.timedelta(hours=1)).isoformat(), "--public-source",
                          "福彩3D开奖号码（测试）", "--public-after", after,
                          "--token", tokens["organizer"], *db)
    assert code == 0, output
    spec = re.search(r"规格 spec sha256 ([0-9a-f]{64})", output)
    assert spec is not None
    secrets = {}
    for role in ("organizer", "supervisor"):
        secrets[role] = new_secret()
        code, output = xuncha("draw", "commit", "1", "--commitment",
                              secret_commitment(spec.group(1), secrets[role]),
                              "--token", tokens[role], *db)
        assert code == 0, output
    for role in ("organizer", "supervisor"):
        code, output = xuncha("draw", "reveal", "1", "--secret", secrets[role],
                              "--token", tokens[role], *db)
        assert code == 0, output
    assert "待录入公开值" in output and "种子 seed" not in output
    code, output = xuncha("draw", "public", "1", "--value", "3 1 4",
                          "--token", tokens["organizer"], *db)
    assert code == 1 and after in output, output  # not published yet
    later = ceremony.now_utc() + dt.timedelta(days=3)
    monkeypatch.setattr(ceremony, "now_utc", lambda: later)
    for role in ("organizer", "supervisor"):
        code, output = xuncha("draw", "public", "1", "--value", "3 1 4",
                              "--token", tokens[role], *db)
        assert code == 0, output
    assert "已抽取 drawn" in output
