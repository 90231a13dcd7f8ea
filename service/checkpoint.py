"""Signed checkpoints of the audit chain (DESIGN §8): the chain's head signed with an
Ed25519 key kept outside the database, for auditors to keep outside the system, and the
check of the log against the checkpoints they kept.

A checkpoint is recorded as an `audit.checkpoint` event and covers that event: the head
it states is the event itself, so cutting the log back to before a checkpoint, its own
event included, is found. The signed text is the canonical JSON (`audit.canonical_json`)
of the document without its `signature`, in UTF-8."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import itertools
import json
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pool import models as m
from service import audit
from service.errors import Conflict, Unavailable, Unprocessable

FORMAT = "xuncha-audit-checkpoint-v1"
ALGORITHM = "ed25519"
KIND = "audit.checkpoint"
Document = dict[str, Any]


# -- keys ---------------------------------------------------------------------------------

def fingerprint(key: Ed25519PublicKey) -> str:
    """`sha256:` and the hex sha256 of the raw 32-byte public key."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def write_new_key(path: Path) -> tuple[Path, Ed25519PublicKey]:
    """A new key pair: the private key at `path` (PEM, readable by its owner only) and
    the public key beside it as `<path>.pub`. Never overwrites: FileExistsError."""
    public_path = path.with_name(path.name + ".pub")
    for target in (path, public_path):
        if target.exists():
            raise FileExistsError(target)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        os.fchmod(fh.fileno(), 0o600)
        fh.write(private)
    with public_path.open("x", encoding="ascii") as fh:
        fh.write(public_pem(key.public_key()))
    return public_path, key.public_key()


def load_private_key(path: Path | None, source: str) -> Ed25519PrivateKey:
    """The signing key; `source` names where its path came from, for the error (the
    setting, or the command's option)."""
    if path is None:
        raise Unavailable(
            "未配置检查点签名私钥：请用 `xuncha audit keygen --out 文件` 生成，并把环境变量 "
            "XUNCHA_CHECKPOINT_KEY 设为该文件路径（或在命令行用 --key 指定）",
            "no checkpoint signing key is configured: make one with `xuncha audit keygen "
            "--out FILE` and set XUNCHA_CHECKPOINT_KEY to its path (or pass --key)",
            code="checkpoint_key_missing")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise Unavailable(f"无法读取检查点签名私钥（{source}）：{exc.strerror}",
                          f"cannot read the checkpoint signing key ({source}): {exc.strerror}",
                          code="checkpoint_key_unreadable") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, Ed25519PrivateKey):
        raise Unavailable(f"{source} 不是未加密的 Ed25519 私钥（PEM）；"
                          "请用 xuncha audit keygen 生成",
                          f"{source} is not an unencrypted Ed25519 private key (PEM); make one "
                          "with `xuncha audit keygen`", code="checkpoint_key_unreadable")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """An auditor's trusted public key (PEM, as `keygen` writes it)."""
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError, TypeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not a PEM public key"
        raise Unprocessable(f"无法读取公钥 {path}：{reason}", f"cannot read the public key "
                            f"{path}: {reason}", field="public_key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise Unprocessable(f"{path} 不是 Ed25519 公钥", f"{path} is not an Ed25519 public key",
                            field="public_key")
    return key


def trusted_fingerprint(text: str) -> str:
    """A pinned fingerprint as given (with or without `sha256:`), normalized."""
    hexpart = text.strip().lower().removeprefix("sha256:")
    if len(hexpart) != 64 or any(c not in "0123456789abcdef" for c in hexpart):
        raise Unprocessable(f"指纹 {text!r} 不是 sha256:后跟64位十六进制",
                            f"fingerprint {text!r} is not sha256: and 64 hex digits",
                            field="fingerprint")
    return "sha256:" + hexpart


# -- taking a checkpoint --------------------------------------------------------------------

def signed_text(doc: Document) -> bytes:
    return audit.canonical_json({k: v for k, v in doc.items() if k != "signature"}
                                ).encode("utf-8")


def take(session: Session, key: Ed25519PrivateKey, actor: str) -> Document:
    """Record an `audit.checkpoint` event and return the signed checkpoint of the chain
    ending in it. Refused while the chain is broken: a checkpoint would vouch for it."""
    session.execute(select(m.Counter).where(m.Counter.name == "audit").with_for_update())
    chain = audit.verify(session, records=False, limit_problems=1)
    if not chain.ok:
        first = chain.problems[0]
        raise Conflict(f"审计日志哈希链已损坏（第{first.seq}号事件：{first.zh}），不能签发检查点；"
                       "请先运行 `xuncha audit verify` 查明",
                       f"the audit chain is broken (event {first.seq}: {first.en}); no "
                       "checkpoint is signed over it: run `xuncha audit verify` first",
                       code="audit_chain_broken")
    public = key.public_key()
    fp = fingerprint(public)
    event = audit.record(session, actor, KIND, object_type="checkpoint", object_key=fp,
                         data={"format": FORMAT, "fingerprint": fp})
    first_hash = session.execute(select(m.AuditEvent.hash)
                                 .where(m.AuditEvent.seq == 1)).scalar_one()
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    doc: Document = {
        "format": FORMAT,
        "chain": {"first_hash": first_hash},  # which log: event 1 is unique to it
        "head": {"seq": event.seq, "hash": event.hash,
                 "at": event.at.isoformat(timespec="microseconds") + "Z"},
        "events": event.seq,
        "key": {"algorithm": ALGORITHM, "fingerprint": fp,
                "public_key": base64.b64encode(raw).decode("ascii")},
    }
    doc["signature"] = base64.b64encode(key.sign(signed_text(doc))).decode("ascii")
    return doc


def document_text(doc: Document) -> str:
    """The checkpoint as kept: one line of canonical JSON (files of several such lines
    are read as several checkpoints)."""
    return audit.canonical_json(doc) + "\n"


# -- checking the log against kept checkpoints ------------------------------------------------

def read_file(path: Path) -> list[tuple[str, Any]]:
    """(label, document) for each checkpoint in a file: one JSON document, or one per
    line. A document that cannot be parsed comes back as None, to be reported."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return [(str(path), None)]
    try:
        whole = json.loads(text)
    except ValueError:
        whole = None
    if isinstance(whole, dict):
        return [(str(path), whole)]
    out: list[tuple[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                out.append((f"{path}:{number}", json.loads(line)))
            except ValueError:
                out.append((f"{path}:{number}", None))
    return out or [(str(path), None)]


def _refusal(doc: Any, trusted: set[str]) -> tuple[str, str] | None:
    """Why a document is no trustworthy checkpoint (中文, English), or None."""
    try:
        head, key = doc["head"], doc["key"]
        ok = (doc["format"] == FORMAT and key["algorithm"] == ALGORITHM
              and isinstance(head["seq"], int) and head["seq"] >= 1
              and isinstance(head["hash"], str) and isinstance(head["at"], str)
              and isinstance(doc["chain"]["first_hash"], str))
        raw = base64.b64decode(key["public_key"], validate=True)
        signature = base64.b64decode(doc["signature"], validate=True)
        dt.datetime.fromisoformat(head["at"].removesuffix("Z"))
    except (KeyError, TypeError, ValueError, binascii.Error):
        ok = False
    if not ok or len(raw) != 32:
        return ("不是本服务的检查点，或格式不对", "not a checkpoint of this service, or malformed")
    fp = "sha256:" + hashlib.sha256(raw).hexdigest()
    if fp != key["fingerprint"]:
        return ("所载公钥与其指纹不符：检查点被改动", "its public key does not match its "
                "fingerprint: the checkpoint was altered")
    if fp not in trusted:
        return (f"由不受信任的密钥（{fp}）签名，不能作为依据；请用 --public-key 指明审计人员"
                "保存的公钥，或用 --fingerprint 指明其指纹",
                f"signed by a key that is not trusted ({fp}), so it proves nothing; name "
                "the auditors' public key with --public-key, or its fingerprint with "
                "--fingerprint")
    try:
        Ed25519PublicKey.from_public_bytes(raw).verify(signature, signed_text(doc))
    except InvalidSignature:
        return ("签名无效：检查点被改动或伪造", "the signature does not verify: the checkpoint "
                "was altered or forged")
    return None


def check(session: Session, out: audit.Verification, checkpoints: list[tuple[str, Any]],
          trusted: set[str]) -> None:
    """Add to `out` a problem for every checkpoint that is not trusted or that the log
    contradicts (cut, rewritten, another log), and for checkpoints out of order."""
    valid: list[tuple[str, Document]] = []
    for label, doc in checkpoints:
        refused = _refusal(doc, trusted)
        if refused is None:
            valid.append((label, doc))
        else:
            out.problem(0, f"检查点 {label}：{refused[0]}", f"checkpoint {label}: {refused[1]}",
                        "checkpoint", label)
    held = [(label, doc) for label, doc in valid if _holds(session, out, label, doc)]
    _check_order(out, valid)
    out.checkpoints = len(held)
    out.anchored_seq = max((doc["head"]["seq"] for _l, doc in held), default=0)


RESTORE_ZH = "请从备份恢复数据库，并查明是谁改了数据库"
RESTORE_EN = "restore the database from a backup and find out who changed it"


def _holds(session: Session, out: audit.Verification, label: str, doc: Document) -> bool:
    seq, signed, at = doc["head"]["seq"], doc["head"]["hash"], doc["head"]["at"]
    first = session.execute(select(m.AuditEvent.hash).where(m.AuditEvent.seq == 1)).scalar()
    last = session.execute(select(func.max(m.AuditEvent.seq))).scalar() or 0
    stored = session.execute(select(m.AuditEvent.hash).where(m.AuditEvent.seq == seq)).scalar()
    if seq > last:
        out.problem(seq, f"日志被截断：检查点 {label}（签于 {at}）证明日志至少到第{seq}号事件，"
                    f"现在却止于第{last}号；第{last + 1}–{seq}号事件（及其后的）被删除。"
                    f"{RESTORE_ZH}",
                    f"the log was cut: checkpoint {label} (signed {at}) vouches for events up "
                    f"to {seq}, but the log now ends at {last}; events {last + 1}–{seq} (and "
                    f"any after them) were deleted: {RESTORE_EN}", "checkpoint", label)
    elif first != doc["chain"]["first_hash"]:
        out.problem(1, f"检查点 {label} 记录的第1号事件与本日志不同：日志自开头被改写并重算了哈希，"
                    f"或检查点属于另一个数据库。{RESTORE_ZH}",
                    f"checkpoint {label} records another event 1 than this log has: the log "
                    "was rewritten from its start and rehashed, or the checkpoint belongs to "
                    f"another database: {RESTORE_EN}", "checkpoint", label)
    elif stored != signed:
        out.problem(seq, f"日志被改写：第{seq}号事件的哈希与检查点 {label}（签于 {at}）签名的不同，"
                    f"第{seq}号及更早的事件被改动、删除或插入后重算了哈希。{RESTORE_ZH}",
                    f"the log was rewritten: event {seq} does not have the hash checkpoint "
                    f"{label} (signed {at}) vouches for; events up to {seq} were altered, "
                    f"deleted or inserted and the chain rehashed: {RESTORE_EN}",
                    "checkpoint", label)
    else:
        return True
    return False


def _check_order(out: audit.Verification, valid: list[tuple[str, Document]]) -> None:
    """Signed later must mean further along the same log: a later checkpoint stating an
    earlier head means the log was cut back between them and grown again."""
    ordered = sorted(valid, key=lambda item: (item[1]["head"]["seq"], item[1]["head"]["at"]))
    for (la, a), (lb, b) in itertools.pairwise(ordered):
        ha, hb = a["head"], b["head"]
        if a["chain"]["first_hash"] != b["chain"]["first_hash"]:
            out.problem(0, f"检查点 {la} 与 {lb} 来自不同的日志（第1号事件不同）",
                        f"checkpoints {la} and {lb} come from different logs (another "
                        "event 1)", "checkpoint", lb)
        elif ha["seq"] == hb["seq"] and ha["hash"] != hb["hash"]:
            out.problem(ha["seq"], f"检查点 {la} 与 {lb} 对第{ha['seq']}号事件签了不同的哈希："
                        f"日志曾被改写。{RESTORE_ZH}",
                        f"checkpoints {la} and {lb} vouch for different hashes of event "
                        f"{ha['seq']}: the log was rewritten: {RESTORE_EN}", "checkpoint", lb)
        elif _time(ha["at"]) > _time(hb["at"]):
            out.problem(ha["seq"], f"检查点顺序颠倒：{la} 签于 {ha['at']}，晚于 {lb}（签于 "
                        f"{hb['at']}），却只到第{ha['seq']}号事件（{lb} 已到第{hb['seq']}号）："
                        f"两次签发之间日志被截短后又重新增长。{RESTORE_ZH}",
                        f"checkpoints out of order: {la}, signed {ha['at']}, after {lb} "
                        f"(signed {hb['at']}), vouches only for events up to {ha['seq']} "
                        f"while {lb} reached {hb['seq']}: the log was cut back between them "
                        f"and grew again: {RESTORE_EN}", "checkpoint", la)


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.removesuffix("Z"))
