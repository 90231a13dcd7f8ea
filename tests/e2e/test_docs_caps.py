"""docs/draw.md §11 tells an auditor how to recompute a draw under probability caps by
hand (`printf … | sha256sum` and a python3 one-liner over the proposal's JSON), and
docs/round-file.md shows the round file's caps: the page's own commands, run by bash on
a capped draw of record held through the API, give the stored digest, point and drawn
set, and the page's example reads as a round file."""

from __future__ import annotations

import re
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from assignment.capped_teams import DRAW_DOMAIN
from service.plan_problems import RoundFileError
from service.rounds import read_round_file
from tests.e2e.api_client import Api
from tests.e2e.test_api_rounds import draw, plan

ROOT = Path(__file__).resolve().parents[2]
DRAW_DOC = (ROOT / "docs" / "draw.md").read_text(encoding="utf-8")
ROUND_DOC = (ROOT / "docs" / "round-file.md").read_text(encoding="utf-8")
SAMPLE_ROUND = (ROOT / "sample_data" / "rounds" / "2026-4.yaml").read_text(encoding="utf-8")


def _by_hand() -> str:
    """The bash block of §11, without the `curl` that fetches the proposal."""
    found = re.search(r"## 11\..*?```bash\n(.*?)```", DRAW_DOC, re.S)
    assert found is not None, "docs/draw.md has no §11 with a bash block"
    block = found.group(1)
    assert re.search(r"^curl .*/v1/proposals/1 > proposal\.json$", block, re.M), block
    return "\n".join(line for line in block.splitlines() if not line.startswith("curl "))


def _members(teams: list[dict[str, Any]]) -> list[tuple[int, list[tuple[str, str]]]]:
    return [(t["no"], sorted((x["key"], x["role"]) for x in t["members"])) for t in teams]


def test_the_pages_commands_recompute_a_capped_draw_of_record(sqlite_api: Api,
                                                               tmp_path: Path) -> None:
    assert shutil.which("sha256sum") and shutil.which("python3"), "the page needs both"
    api = sqlite_api
    created = api.post("/v1/rounds", "organizer", json=plan(cap=0.2, leader_cap=0.1))
    assert created.status_code == 201, created.text
    proposal = draw(api)
    # the auditor's copy, as `curl … > proposal.json` saves it: names hidden, weights not
    seen = api.get(f"/v1/proposals/{proposal['id']}", "auditor")
    assert seen.status_code == 200 and not seen.json()["names_visible"]
    (tmp_path / "proposal.json").write_text(seen.text, encoding="utf-8")
    capped = proposal["result"]["capped"]
    assert capped["status"] == "optimal" and capped["team_sets"] >= 2  # a real choice

    script = _by_hand()
    assert f"printf '{DRAW_DOMAIN.decode()}\\0%s' \"$SEED\" | sha256sum" in script
    ran = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr
    lines = ran.stdout.splitlines()
    assert len(lines) == 2, ran.stdout
    assert lines[0] == f"{capped['draw_digest']}  -"  # printf | sha256sum
    digest, point, drawn = lines[1].split()  # the python3 one-liner
    assert (digest, point, int(drawn)) == (capped["draw_digest"], capped["draw_point"],
                                           capped["drawn"])
    # the rule the page states, step by step: u from the digest, weights added exactly
    u = Fraction(int(digest, 16), 2**256)
    totals = [sum(Fraction(r["weight"]) for r in capped["distribution"][:k])
              for k in range(1, capped["team_sets"] + 1)]
    assert (totals[int(drawn) - 2] if int(drawn) > 1 else 0) <= u < totals[int(drawn) - 1]
    # and the set the commands name is the one the proposal seated
    chosen = capped["distribution"][int(drawn) - 1]["teams"]
    assert _members(chosen) == _members(proposal["teams"])


def test_the_round_file_pages_caps_example_reads(tmp_path: Path) -> None:
    block = ROUND_DOC.split("### 概率上限 / Probability caps")[1].split("```yaml")[1]
    example = block.split("```")[0]
    path = tmp_path / "capped.yaml"
    path.write_text(SAMPLE_ROUND + "\n" + example, encoding="utf-8")
    caps = read_round_file(path).cap_settings()
    assert caps is not None
    assert (caps.cap, caps.leader_cap) == (Fraction(1, 5), Fraction(1, 10))


def test_leader_cap_alone_is_refused_with_the_advice_the_page_gives(tmp_path: Path) -> None:
    assert "`leader_cap` alone is refused; to bound leaders only,\n  write `cap: 1`" in ROUND_DOC
    alone = tmp_path / "alone.yaml"
    alone.write_text(SAMPLE_ROUND + "\nleader_cap: 0.1\n", encoding="utf-8")
    with pytest.raises(RoundFileError, match="cap: 1"):
        read_round_file(alone)
    both = tmp_path / "both.yaml"
    both.write_text(SAMPLE_ROUND + "\ncap: 1\nleader_cap: 0.1\n", encoding="utf-8")
    caps = read_round_file(both).cap_settings()
    assert caps is not None and (caps.cap, caps.leader_cap) == (1, Fraction(1, 10))
