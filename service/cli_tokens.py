"""The `xuncha token` commands: issue a bearer token (its secret shown once), list the
tokens (never a secret), and revoke one by its id or by the secret `create` printed."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.cells import cell_len
from rich.console import Console

from service.cli_db import database_url, migrate_database, open_database
from service.cli_errors import nothing_written_if_interrupted

token_app = typer.Typer(help="API 令牌 / API tokens", no_args_is_help=True)

out = Console()
err = Console(stderr=True)

DatabaseOption = Annotated[str | None, typer.Option(
    "--database-url", envvar="XUNCHA_DATABASE_URL",
    help="SQLAlchemy URL (default: SQLite file var/xuncha.sqlite3)")]


def _utc(at: dt.datetime | None) -> str:
    return "—" if at is None else f"{at:%Y-%m-%d %H:%M} UTC"


@token_app.command("create")
def token_create(
    role: Annotated[str, typer.Option(help="admin / organizer / approver / auditor / viewer")],
    scope: Annotated[str | None, typer.Option(
        help="行政区划代码：只能看到并修改该区划及下级 / region code limiting the token")] = None,
    name: Annotated[str, typer.Option(help="令牌用途或持有人 / who or what holds it")] = "",
    database_url_option: DatabaseOption = None,
) -> None:
    """生成令牌（只显示一次，库中只存哈希）/ issue a bearer token (shown once, stored hashed)."""
    from pool.db import transaction
    from service import audit
    from service.auth import Role, issue_token
    from service.imports import cli_actor

    if role not in Role.__members__:
        err.print(f"[red]未知角色 unknown role[/] {role}; 可选 valid: {', '.join(Role)}")
        raise typer.Exit(2)
    engine = migrate_database(database_url(database_url_option))
    try:
        with nothing_written_if_interrupted(), transaction(engine) as session:
            issued = issue_token(session, name=name or role, role=Role(role), scope=scope,
                                 created_by=cli_actor(), now=audit.utcnow())
    except ValueError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None
    out.print(issued.secret, soft_wrap=True, highlight=False)


@token_app.command("list")
def token_list(database_url_option: DatabaseOption = None) -> None:
    """列出令牌（不显示秘密值）/ list the tokens (never their secrets)."""
    from pool.db import transaction
    from service.auth import all_tokens

    engine = open_database(database_url(database_url_option))
    with transaction(engine) as session:
        rows = [(t.id, t.name, t.role, t.scope, t.created_by, t.created_at, t.revoked_at)
                for t in all_tokens(session)]
    if not rows:
        out.print("尚无令牌；用 ./dev xuncha token create --role … 签发 / no tokens yet; issue "
                  "one with ./dev xuncha token create --role …", highlight=False)
        return
    # plain aligned lines, never folded: ids are copied from here into `token revoke`
    table = [("编号 id", "名称 name", "角色 role", "区划 scope", "签发人 issued by",
              "签发 created", "吊销 revoked")]
    table += [(token_id, name, role, scope or "全部 all", by, _utc(created),
               _utc(revoked) if revoked else "有效 valid")
              for token_id, name, role, scope, by, created, revoked in rows]
    widths = [max(cell_len(line[i]) for line in table) for i in range(len(table[0]))]
    for line in table:
        out.print("  ".join(cell + " " * (width - cell_len(cell))
                            for cell, width in zip(line, widths, strict=True)).rstrip(),
                  soft_wrap=True, markup=False, highlight=False)


@token_app.command("revoke")
def token_revoke(
    token: Annotated[str, typer.Argument(
        help="令牌编号（token list 所列）或 token create 打印的完整令牌 xc_… / the token id "
             "(as token list shows it) or the full token token create printed (xc_…)")],
    database_url_option: DatabaseOption = None,
) -> None:
    """吊销令牌 / revoke a token."""
    from pool.db import transaction
    from service import audit
    from service.auth import TOKEN_PREFIX, token_named
    from service.imports import cli_actor

    engine = open_database(database_url(database_url_option))
    with nothing_written_if_interrupted(), transaction(engine) as session:
        row = token_named(session, token)
        if row is None:
            zh, en = (("没有与此令牌相符的令牌", "no token matches this secret")
                      if token.strip().startswith(TOKEN_PREFIX) else
                      (f"没有编号为 {token} 的令牌", f"no token has the id {token}"))
            err.print(f"{zh}（用 ./dev xuncha token list 查看）/ {en} (see ./dev xuncha token "
                      "list)", highlight=False, markup=False, soft_wrap=True)
            raise typer.Exit(1)
        token_id, label = row.id, f"{row.id}（{row.name}，{row.role}）"
        if row.revoked_at is not None:
            out.print(f"令牌 {label} 已于 {_utc(row.revoked_at)} 吊销 / token {token_id} was "
                      f"already revoked on {_utc(row.revoked_at)}", highlight=False)
            return
        row.revoked_at = audit.utcnow()
        audit.record(session, cli_actor(), "token.revoke", object_type="token",
                     object_key=token_id, data={})
    out.print(f"已吊销 revoked {label}", highlight=False)
