"""Every kind of audit event the service writes has its Chinese and English name in the
one table the audit pages read (`service/audit_kinds.py`); a new kind without one fails."""

from __future__ import annotations

import re
from pathlib import Path

from service.audit_kinds import KINDS, OBJECT_TYPES

SERVICE = Path(__file__).resolve().parents[2] / "service"
RECORD = re.compile(r"(?:audit\.record|_record_apart)\(\s*\w+,\s*[^,()]+,\s*\"([\w.\-]+)\"")
OBJECT = re.compile(r"object_type=\"([\w\-]+)\"")


def _written(pattern: re.Pattern[str]) -> set[str]:
    return {found for path in SERVICE.rglob("*.py")
            for found in pattern.findall(path.read_text(encoding="utf-8"))}


def test_every_recorded_kind_has_a_name() -> None:
    kinds = _written(RECORD)
    assert {"proposal.approve", "draw.open", "web.signin"} <= kinds  # the scan finds them
    assert sorted(kinds - set(KINDS)) == []
    # kinds made at run time: a job's end, a refused ceremony step from the command line
    assert {f"job.{s}" for s in ("succeeded", "failed", "cancelled")} <= set(KINDS)
    assert {"auth.denied", "draw.refused"} <= set(KINDS)
    assert all(zh and en and zh != en for zh, en in KINDS.values())


def test_every_object_type_has_a_name() -> None:
    types = _written(OBJECT)
    assert {"proposal", "round", "job"} <= types
    assert sorted(types - set(OBJECT_TYPES)) == []
