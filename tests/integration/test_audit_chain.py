"""The audit log is a hash chain: verify finds any altered, deleted, inserted or
reordered event, says where, and the CLI exits non-zero."""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise

import pytest
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from pool import models as m
from pool.db import transaction
from service import audit
from service.cli import app


def _log(engine: Engine, n: int = 6) -> None:
    with transaction(engine) as session:
        for i in range(1, n + 1):
            audit.record(session, "tests", "data.change", object_type="cadre",
                         object_key=f"P{i:03d}", data={"before": {"status": "active"},
                                                       "after": {"status": "suspended"},
                                                       "名字": "𠀀测试"})


def _verify(engine: Engine) -> audit.Verification:
    with transaction(engine) as session:
        return audit.verify(session)


def test_an_untouched_chain_verifies_and_links_every_event(engine: Engine) -> None:
    _log(engine)
    result = _verify(engine)
    assert result.ok and result.events == 6 and result.head_seq == 6
    with transaction(engine) as session:
        events = session.execute(select(m.AuditEvent).order_by(m.AuditEvent.seq)).scalars()
        hashes = [(e.prev_hash, e.hash) for e in events]
    assert hashes[0][0] == audit.GENESIS
    assert all(prev == before[1] for before, (prev, _h) in pairwise(hashes))


def _alter(session: Session) -> None:
    session.execute(update(m.AuditEvent).where(m.AuditEvent.seq == 3)
                    .values(data='{"after":{"status":"active"}}'))


def _alter_actor(session: Session) -> None:
    session.execute(update(m.AuditEvent).where(m.AuditEvent.seq == 4)
                    .values(actor="someone-else"))


def _delete_middle(session: Session) -> None:
    session.execute(delete(m.AuditEvent).where(m.AuditEvent.seq == 2))


def _delete_last(session: Session) -> None:
    session.execute(delete(m.AuditEvent).where(m.AuditEvent.seq == 6))


def _reorder(session: Session) -> None:
    # events 4 and 5 trade places (their numbers swapped)
    for old, new in ((4, -1), (5, 4), (-1, 5)):
        session.execute(update(m.AuditEvent).where(m.AuditEvent.seq == old)
                        .values(seq=new))


@pytest.mark.parametrize(("tamper", "seq", "word"), [
    (_alter, 3, "altered"), (_alter_actor, 4, "altered"), (_delete_middle, 3, "missing"),
    (_delete_last, 6, "end"), (_reorder, 4, "link"),
])
def test_verify_names_where_the_chain_was_tampered_with(
        engine: Engine, tamper: Callable[[Session], None], seq: int, word: str) -> None:
    _log(engine)
    with transaction(engine) as session:
        tamper(session)
    result = _verify(engine)
    assert not result.ok
    assert any(p.seq == seq and word in p.en for p in result.problems), result.problems


def test_cli_audit_verify_exits_4_and_says_where(db_url: str, engine: Engine) -> None:
    _log(engine)
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify", "--database-url", db_url])
    assert ok.exit_code == 0 and "完整" in ok.output
    with transaction(engine) as session:
        _alter(session)
    broken = runner.invoke(app, ["audit", "verify", "--database-url", db_url])
    assert broken.exit_code == 4
    assert "#3" in broken.output and "altered" in broken.output


def test_appends_after_a_rollback_keep_the_chain_whole(engine: Engine) -> None:
    _log(engine, 2)
    with pytest.raises(RuntimeError), transaction(engine) as session:
        audit.record(session, "tests", "data.change", data={})
        raise RuntimeError("the change failed")
    _log(engine, 2)
    result = _verify(engine)
    assert result.ok and result.events == 4


def test_a_kind_prefix_is_taken_literally_not_as_a_like_pattern(engine: Engine) -> None:
    with transaction(engine) as session:
        for kind in ("draw.public_value", "drawXpublic", "data.change"):
            audit.record(session, "tests", kind, data={})
    with transaction(engine) as session:
        def kinds(prefix: str) -> list[str]:
            return [e.kind for e in session.execute(audit.query(kind=prefix)).scalars()]

        assert kinds("draw.") == ["draw.public_value"]
        assert kinds("%.") == [] and kinds("_.") == [] and kinds("draw_") == []
        assert kinds("data.") == ["data.change"]
