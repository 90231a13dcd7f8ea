"""Signed checkpoints anchor the audit chain outside the database: whoever can write the
database can cut the log and reset its head, or rewrite it and rehash every event, and
the chain alone still verifies; a checkpoint an auditor kept finds both. A checkpoint
signed by another key, or altered, is refused."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select, update
from typer.testing import CliRunner

from pool import models as m
from pool.db import transaction
from service import audit
from service.cli import app

runner = CliRunner()


def xuncha(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def _log(engine: Engine, n: int) -> None:
    with transaction(engine) as session:
        for i in range(n):
            audit.record(session, "tests", "data.change", object_type="cadre",
                         object_key=f"P{i:03d}", data={"after": {"status": "suspended"}})


def _keygen(tmp_path: Path, name: str = "checkpoint.pem") -> tuple[Path, Path]:
    key = tmp_path / name
    code, output = xuncha("audit", "keygen", "--out", str(key))
    assert code == 0, output
    return key, key.with_name(key.name + ".pub")


def _checkpoint(db_url: str, key: Path, out: Path) -> dict[str, Any]:
    code, output = xuncha("audit", "checkpoint", "--key", str(key), "--out", str(out),
                          "--database-url", db_url)
    assert code == 0, output
    doc: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return doc


def _verify(db_url: str, *args: str) -> tuple[int, str]:
    return xuncha("audit", "verify", "--database-url", db_url, *args)


def _cut(engine: Engine, keep: int) -> None:
    """Delete every event after `keep` and set the head back to it, as an intruder with
    write access would: the chain that is left is whole."""
    with transaction(engine) as session:
        session.execute(delete(m.AuditEvent).where(m.AuditEvent.seq > keep))
        last = session.get(m.AuditEvent, keep)
        assert last is not None
        session.execute(update(m.Counter).where(m.Counter.name == "audit")
                        .values(value=keep, hash=last.hash))


def _rewrite(engine: Engine, seq: int) -> None:
    """Alter event `seq` and rehash it and every later event, then the head."""
    with transaction(engine) as session:
        events = session.execute(select(m.AuditEvent).where(m.AuditEvent.seq >= seq)
                                 .order_by(m.AuditEvent.seq)).scalars().all()
        prev = session.execute(select(m.AuditEvent.hash)
                               .where(m.AuditEvent.seq == seq - 1)).scalar() or audit.GENESIS
        for ev in events:
            if ev.seq == seq:
                ev.data = audit.canonical_json({"after": {"status": "active"}})
            ev.prev_hash = prev
            ev.hash = f"tmp{ev.seq}"  # hashes are unique: clear them before setting
        session.flush()
        for ev in events:
            ev.hash = audit.chain_hash(prev, audit.event_text(
                ev.seq, ev.at, ev.actor, ev.kind, ev.object_type, ev.object_key, ev.data,
                ev.region))
            ev.prev_hash, prev = prev, ev.hash
        session.execute(update(m.Counter).where(m.Counter.name == "audit")
                        .values(value=events[-1].seq, hash=prev))


def test_keygen_writes_a_key_only_its_owner_reads_and_never_overwrites(tmp_path: Path) -> None:
    key, public = _keygen(tmp_path)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert "PRIVATE KEY" in key.read_text() and "PUBLIC KEY" in public.read_text()
    before = key.read_bytes()
    code, output = xuncha("audit", "keygen", "--out", str(key))
    assert code == 1 and "未覆盖" in output and key.read_bytes() == before


def test_a_checkpoint_covers_the_event_that_records_it(db_url: str, engine: Engine,
                                                       tmp_path: Path) -> None:
    _log(engine, 3)
    key, public = _keygen(tmp_path)
    doc = _checkpoint(db_url, key, tmp_path / "cp.json")
    with transaction(engine) as session:
        last = session.execute(select(m.AuditEvent).order_by(m.AuditEvent.seq.desc())
                               .limit(1)).scalar_one()
        assert last.kind == "audit.checkpoint"
        assert doc["head"] == {"seq": last.seq, "hash": last.hash,
                               "at": last.at.isoformat(timespec="microseconds") + "Z"}
        assert json.loads(last.data)["fingerprint"] == doc["key"]["fingerprint"]
    code, output = _verify(db_url, "--checkpoint", str(tmp_path / "cp.json"),
                           "--public-key", str(public))
    assert code == 0, output
    assert "1 个检查点相符" in output and f"up to event {last.seq}" in output


def test_a_cut_tail_and_reset_head_are_found_only_with_a_checkpoint(
        db_url: str, engine: Engine, tmp_path: Path) -> None:
    _log(engine, 5)
    key, public = _keygen(tmp_path)
    doc = _checkpoint(db_url, key, tmp_path / "cp.json")
    _log(engine, 2)
    _cut(engine, 4)  # events 5 and the checkpoint's own (6) onwards are gone
    code, output = _verify(db_url)
    assert code == 0 and "完整" in output  # the chain alone cannot tell
    code, output = _verify(db_url, "--checkpoint", str(tmp_path / "cp.json"),
                           "--public-key", str(public))
    assert code == 4
    assert "日志被截断" in output and "the log was cut" in output
    assert f"events up to {doc['head']['seq']}" in output and "ends at 4" in output


def test_a_consistent_rewrite_is_found_only_with_a_checkpoint(
        db_url: str, engine: Engine, tmp_path: Path) -> None:
    _log(engine, 5)
    key, public = _keygen(tmp_path)
    _checkpoint(db_url, key, tmp_path / "cp.json")
    _log(engine, 2)
    _rewrite(engine, 3)
    code, output = _verify(db_url)
    assert code == 0 and "完整" in output
    code, output = _verify(db_url, "--checkpoint", str(tmp_path / "cp.json"),
                           "--public-key", str(public), "--json")
    assert code == 4
    problems = json.loads(output)["problems"]
    assert [p["seq"] for p in problems] == [6]
    assert "the log was rewritten" in problems[0]["en"] and "改写" in problems[0]["zh"]


def test_a_checkpoint_from_another_key_or_altered_is_refused(
        db_url: str, engine: Engine, tmp_path: Path) -> None:
    _log(engine, 3)
    key, public = _keygen(tmp_path)
    intruder_key, _intruder_public = _keygen(tmp_path, "intruder.pem")
    genuine = _checkpoint(db_url, key, tmp_path / "genuine.json")
    _cut(engine, 2)
    # the intruder signs the cut log with a key of their own: it verifies against the key
    # it carries, but that key is not the auditors'
    forged = _checkpoint(db_url, intruder_key, tmp_path / "forged.json")
    code, output = _verify(db_url, "--checkpoint", str(tmp_path / "forged.json"),
                           "--public-key", str(public))
    assert code == 4 and "不受信任的密钥" in output and "not trusted" in output
    # … nor may they pass the auditors' key off as theirs, or alter a genuine checkpoint
    posing = forged | {"key": genuine["key"]}
    (tmp_path / "posing.json").write_text(json.dumps(posing), encoding="utf-8")
    altered = genuine | {"head": forged["head"], "chain": forged["chain"]}
    (tmp_path / "altered.json").write_text(json.dumps(altered), encoding="utf-8")
    for name in ("posing.json", "altered.json"):
        code, output = _verify(db_url, "--checkpoint", str(tmp_path / name),
                               "--public-key", str(public))
        assert code == 4 and "签名无效" in output and "does not verify" in output, name


def test_checkpoints_need_a_trusted_key(db_url: str, engine: Engine, tmp_path: Path) -> None:
    _log(engine, 2)
    key, _public = _keygen(tmp_path)
    doc = _checkpoint(db_url, key, tmp_path / "cp.json")
    code, output = _verify(db_url, "--checkpoint", str(tmp_path / "cp.json"))
    assert code == 2 and "--public-key" in output
    code, output = _verify(db_url, "--checkpoint", str(tmp_path / "cp.json"),
                           "--fingerprint", str(doc["key"]["fingerprint"]))
    assert code == 0, output


def test_checkpoints_out_of_order_show_the_log_was_cut_and_regrown(
        db_url: str, engine: Engine, tmp_path: Path) -> None:
    _log(engine, 5)
    key, public = _keygen(tmp_path)
    _checkpoint(db_url, key, tmp_path / "first.json")  # event 6
    _log(engine, 3)
    _checkpoint(db_url, key, tmp_path / "second.json")  # event 10
    both = ("--checkpoint", str(tmp_path / "second.json"),
            "--checkpoint", str(tmp_path / "first.json"), "--public-key", str(public))
    code, output = _verify(db_url, *both)
    assert code == 0 and "2 个检查点相符" in output, output  # given in any order
    _cut(engine, 4)
    _checkpoint(db_url, key, tmp_path / "third.json")  # event 5, signed last
    code, output = _verify(db_url, *both, "--checkpoint", str(tmp_path / "third.json"))
    assert code == 4
    assert "检查点顺序颠倒" in output and "out of order" in output
    assert "日志被截断" in output


def test_a_checkpoint_is_not_signed_over_a_broken_chain(
        db_url: str, engine: Engine, tmp_path: Path) -> None:
    _log(engine, 3)
    key, _public = _keygen(tmp_path)
    with transaction(engine) as session:
        session.execute(update(m.AuditEvent).where(m.AuditEvent.seq == 2)
                        .values(actor="someone-else"))
    code, output = xuncha("audit", "checkpoint", "--key", str(key), "--database-url", db_url)
    assert code == 1 and "不能签发检查点" in output and "event 2" in output
    with transaction(engine) as session:
        kinds = session.execute(select(m.AuditEvent.kind)).scalars().all()
    assert "audit.checkpoint" not in kinds


@pytest.mark.parametrize("setting", [None, "missing.pem"])
def test_checkpoint_without_a_usable_key_says_how_to_make_one(
        db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        setting: str | None) -> None:
    from service.settings import get_settings

    monkeypatch.delenv("XUNCHA_CHECKPOINT_KEY", raising=False)
    if setting is not None:
        monkeypatch.setenv("XUNCHA_CHECKPOINT_KEY", str(tmp_path / setting))
    get_settings.cache_clear()
    try:
        code, output = xuncha("audit", "checkpoint", "--database-url", db_url)
    finally:
        get_settings.cache_clear()
    assert code == 1
    assert ("xuncha audit keygen" in output) if setting is None else ("无法读取" in output)
