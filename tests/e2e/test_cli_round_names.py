"""`./dev xuncha assemble` on a round written in the office's words (issue 13): Chinese
skill names and unit names give exactly the round written in codes and keys; a typo is
an error that says what was meant (exit 1), never an unstaffable round (exit 3)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from service.cli import app

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_ROUND = (ROOT / "sample_data" / "rounds" / "2026-4.yaml").read_text(encoding="utf-8")
runner = CliRunner()


def assemble(path: Path, url: str, *extra: str) -> tuple[int, str]:
    result = runner.invoke(app, ["assemble", str(path), "--database-url", url, *extra],
                           env={"COLUMNS": "400"})
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def written(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def same_draw(output: str) -> dict[str, Any]:
    run = json.loads(output)
    proposal = run["proposal"]
    return {"input_hash": run["input_hash"], "teams": proposal["teams"],
            "objective": proposal["objective"], "terms": proposal["terms"]}


def test_a_round_in_chinese_names_assembles_exactly_as_in_codes(city_sqlite_url: str,
                                                               tmp_path: Path) -> None:
    # the checking groups' own codes (finance_audit, law_enforcement…) are codes, not
    # skills: kept aside while the skills are renamed
    codes = ("party_personnel", "finance_audit", "law_enforcement", "petitions")
    kept = re.sub(r"(?m)^(  )(\w+)(:\s+\{name:)",
                  lambda g: f"{g[1]}@{codes.index(g[2])}@{g[3]}", SAMPLE_ROUND)
    kept = re.sub(r"(?m)^(\s*groups: \[)(.*)(\])", lambda g: g[1] + ", ".join(
        f"@{codes.index(c.strip())}@" for c in g[2].split(",")) + g[3], kept)
    named = (kept.replace("finance", "财务").replace("audit", "审计")
             .replace("law_enforcement", "行政执法")
             .replace("[U00003]", "[云川市公安局]")
             .replace("[U00004, U00012]", '[" 云川市 教育局 ", U00012]'))
    for n, code in enumerate(codes):
        named = named.replace(f"@{n}@", code)
    assert "财务" in named and "云川市公安局" in named and "finance_audit:   {name" in named
    assert "skills: [行政执法, legal]" in named
    code, by_name = assemble(written(tmp_path, "named.yaml", named), city_sqlite_url, "--json")
    assert code == 0, by_name
    code, by_code = assemble(ROOT / "sample_data" / "rounds" / "2026-4.yaml", city_sqlite_url,
                             "--json")
    assert code == 0, by_code
    assert same_draw(by_name) == same_draw(by_code)


def test_a_misspelt_skill_and_unit_are_errors_with_what_was_meant(city_sqlite_url: str,
                                                                  tmp_path: Path) -> None:
    typo = (SAMPLE_ROUND.replace("{finance: 1, audit: 1, discipline: 1, personnel: 1}",
                                 "{finace: 1, audit: 1, discipline: 1, personnel: 1}")
            .replace("[U00006]", "[云川市财政厅]"))
    code, output = assemble(written(tmp_path, "typo.yaml", typo), city_sqlite_url)
    assert code == 1, output
    assert "未知的专业特长“finace”（defaults.skills）：你是否要写 finance（财务）？" in output
    assert "没有编号或名称为“云川市财政厅”的单位（第3组 teams[2].targets[0]）" in output
    assert "云川市财政局 U00006（云川市）" in output
    assert "无法组建" not in output and "cannot be staffed" not in output


def test_a_slashed_date_and_a_misspelt_key_are_said_in_chinese(city_sqlite_url: str,
                                                             tmp_path: Path) -> None:
    bad = (SAMPLE_ROUND.replace("as_of: 2026-11-01", "as_of: 2026/11/01")
           .replace("    depth: {finance: 2, audit: 2}\n",
                    "    depht: {finance: 2, audit: 2}\n", 1))
    code, output = assemble(written(tmp_path, "bad.yaml", bad), city_sqlite_url)
    assert code == 1, output
    assert "轮次文件 bad.yaml 有2处问题" in output
    assert ("日期须写成 YYYY-MM-DD，如 2026-11-01（as_of）：所写为 2026/11/01；"
            "你是否要写 2026-11-01？") in output
    assert "未知的字段“depht”（第3组 teams[2]）：可用字段 targets、size、deputies、skills、" \
           "depth、groups、full_time_min；你是否要写 depth" in output
    assert "Extra inputs" not in output and "separator" not in output
