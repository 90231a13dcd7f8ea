"""The `xuncha audit` commands: verify the log (its hash chain, the service's records
against the events that wrote them, and the signed checkpoints auditors kept), make a
checkpoint signing key, and take a signed checkpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

audit_app = typer.Typer(help="审计日志 / audit log", no_args_is_help=True)

out = Console(soft_wrap=True)  # messages name files and hashes: never broken mid-word
err = Console(stderr=True, soft_wrap=True)

DatabaseOption = Annotated[str | None, typer.Option(
    "--database-url", envvar="XUNCHA_DATABASE_URL",
    help="SQLAlchemy URL (default: SQLite file var/xuncha.sqlite3)")]
CHECKED = {"tokens": "令牌 tokens", "rounds": "轮次 rounds", "draws": "抽取 draws",
           "proposals": "方案 proposals", "participations": "参与记录 participations",
           "teams_unverifiable": "组队无哈希可核 teams without a recorded hash"}


def _trusted(public_keys: list[Path], fingerprints: list[str]) -> set[str]:
    from service.checkpoint import fingerprint, load_public_key, trusted_fingerprint
    from service.errors import DomainError

    try:
        return ({fingerprint(load_public_key(p)) for p in public_keys}
                | {trusted_fingerprint(f) for f in fingerprints})
    except DomainError as exc:
        err.print(f"[red]{escape(exc.zh)}[/]\n{escape(exc.en)}")
        raise typer.Exit(2) from None


@audit_app.command("verify")
def audit_verify(
    database_url: DatabaseOption = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
    checkpoints: Annotated[list[Path] | None, typer.Option(
        "--checkpoint", exists=True, dir_okay=False,
        help="审计人员保存的检查点文件（可多次给出）/ a checkpoint file auditors kept "
             "(repeatable)")] = None,
    public_keys: Annotated[list[Path] | None, typer.Option(
        "--public-key", exists=True, dir_okay=False,
        help="可信的检查点公钥（keygen 生成的 .pub）/ a trusted checkpoint public key")] = None,
    fingerprints: Annotated[list[str] | None, typer.Option(
        "--fingerprint", help="可信公钥的指纹 sha256:… / a trusted key's fingerprint")] = None,
) -> None:
    """校验审计日志（哈希链、记录与事件、检查点）/ verify the audit log (exit 4 if broken)."""
    from pool.db import transaction
    from service import audit, checkpoint
    from service.cli_db import database_url as resolve_url
    from service.cli_db import open_database

    trusted = _trusted(public_keys or [], fingerprints or [])
    if checkpoints and not trusted:
        err.print("[red]检查点须对照可信公钥核对[/]：请用 --public-key 指明审计人员保存的公钥，"
                  "或用 --fingerprint 指明其指纹（检查点自带的公钥不能证明它自己）\n"
                  "checkpoints are checked against a trusted key: pass the auditors' public "
                  "key with --public-key, or its fingerprint with --fingerprint (the key a "
                  "checkpoint carries cannot vouch for itself)")
        raise typer.Exit(2)
    documents = [item for path in checkpoints or [] for item in checkpoint.read_file(path)]
    engine = open_database(resolve_url(database_url))
    with transaction(engine) as session:
        result = audit.verify(session)
        if documents:
            checkpoint.check(session, result, documents, trusted)
    if json_out:
        out.print_json(json.dumps(result.to_dict(), ensure_ascii=False))
    elif result.ok:
        _report_ok(result, bool(documents))
    else:
        err.print(f"[red]审计日志被改动 / the audit log was tampered with[/] "
                  f"({len(result.problems)} 处 problems)")
        for p in result.problems:
            err.print(f"  {p.where}: {p.zh} / {p.en}", markup=False, highlight=False)
        err.print("查明之前请勿依据受影响的记录；对照备份和审计人员保存的检查点核对 / do not rely "
                  "on the affected records until this is cleared up; compare with a backup "
                  "and the checkpoints auditors kept")
    if not result.ok:
        raise typer.Exit(4)


def _report_ok(result: Any, with_checkpoints: bool) -> None:
    out.print(f"[green]审计日志完整 / the audit log is intact[/]: {result.events} 条事件 "
              f"events, 链头 head {result.head_hash[:16]}…")
    checked = ", ".join(f"{CHECKED.get(k, k)} {v}" for k, v in result.checked.items())
    out.print(f"记录与事件相符 / records agree with their events: {checked}", highlight=False,
              soft_wrap=True)
    if with_checkpoints:
        later = result.head_seq - result.anchored_seq
        out.print(f"[green]{result.checkpoints} 个检查点相符[/]，日志至第{result.anchored_seq}号"
                  f"事件已锚定" + (f"，其后{later}个事件尚无检查点" if later else "") +
                  f" / {result.checkpoints} checkpoint(s) hold: the log is anchored up to "
                  f"event {result.anchored_seq}" +
                  (f"; the {later} event(s) after it are covered by no checkpoint yet"
                   if later else ""))
    else:
        out.print("[yellow]未核对检查点[/]：截断或整体改写日志只有对照检查点才能发现 / no "
                  "checkpoints given: a cut or a consistent rewrite of the log is found only "
                  "against them (--checkpoint FILE --public-key FILE)")


@audit_app.command("keygen")
def audit_keygen(out_file: Annotated[Path, typer.Option(
        "--out", dir_okay=False,
        help="私钥文件（另写 FILE.pub 公钥）/ the private key file (the public key goes to "
             "FILE.pub)")]) -> None:
    """生成检查点签名密钥（Ed25519）/ make a checkpoint signing key (Ed25519)."""
    from service.checkpoint import fingerprint, public_pem, write_new_key

    try:
        public_path, public = write_new_key(out_file)
    except FileExistsError as exc:
        err.print(f"[red]文件已存在，未覆盖 / the file exists and was not overwritten[/]: "
                  f"{escape(str(exc))}")
        raise typer.Exit(1) from None
    except OSError as exc:
        err.print(f"[red]无法写入 / cannot write[/] {escape(str(out_file))}: {exc.strerror}")
        raise typer.Exit(1) from None
    out.print(f"[green]已生成检查点签名密钥 / made a checkpoint signing key[/]\n"
              f"  私钥 private key: {out_file}（仅本人可读 mode 0600；勿与数据库及其备份放在一处 / "
              "keep it away from the database and its backups）\n"
              f"  公钥 public key:  {public_path}（交审计人员保存 / give it to the auditors）\n"
              f"  指纹 fingerprint: {fingerprint(public)}\n"
              f"  服务端设置 / on the server: XUNCHA_CHECKPOINT_KEY={out_file}",
              highlight=False)
    typer.echo(public_pem(public), nl=False)


@audit_app.command("checkpoint")
def audit_checkpoint(
    key: Annotated[Path | None, typer.Option(
        "--key", dir_okay=False,
        help="签名私钥（默认取 XUNCHA_CHECKPOINT_KEY）/ the signing key (default: "
             "XUNCHA_CHECKPOINT_KEY)")] = None,
    out_file: Annotated[Path | None, typer.Option(
        "--out", dir_okay=False,
        help="写入新文件（不覆盖）；默认输出到标准输出 / write to this new file (never "
             "overwritten); default: standard output")] = None,
    database_url: DatabaseOption = None,
) -> None:
    """签发检查点，交审计人员在系统外保存 / sign a checkpoint for auditors to keep."""
    from pool.db import transaction
    from service import checkpoint
    from service.cli_db import database_url as resolve_url
    from service.cli_db import migrate_database
    from service.errors import DomainError
    from service.imports import cli_actor
    from service.settings import get_settings

    path = key or get_settings().checkpoint_key
    source = f"--key {key}" if key else f"XUNCHA_CHECKPOINT_KEY={path}"
    if out_file is not None and (out_file.exists() or not out_file.parent.is_dir()):
        err.print(f"[red]{escape(str(out_file))} 已存在或其目录不存在；检查点只新写、不覆盖 / "
                  "exists or its folder does not: a checkpoint goes to a new file, never "
                  "over one[/]")
        raise typer.Exit(1)
    url = resolve_url(database_url)
    try:
        signing = checkpoint.load_private_key(path, source)
        with transaction(migrate_database(url), write=True) as session:
            doc = checkpoint.take(session, signing, cli_actor())
    except DomainError as exc:
        err.print(f"[red]{escape(exc.zh)}[/]\n{escape(exc.en)}")
        raise typer.Exit(1) from None
    text = checkpoint.document_text(doc)
    head = doc["head"]
    summary = (f"检查点已签发 / checkpoint signed: 第{head['seq']}号事件 event {head['seq']}, "
               f"哈希 hash {head['hash'][:16]}…, 密钥 key {doc['key']['fingerprint']}")
    if out_file is None:
        typer.echo(text, nl=False)
        err.print(summary, highlight=False)
        return
    with out_file.open("x", encoding="utf-8") as fh:
        fh.write(text)
    out.print(f"{summary}\n已写入 written to {out_file}：请交审计人员在系统之外保存 / give it to "
              "the auditors to keep outside the system", highlight=False)
