"""The `xuncha user` commands: accounts for people signing in to the workbench (create,
disable, reset a password, list). Passwords are typed twice at a hidden prompt, or read
from standard input with `--password-stdin`; never taken as an argument."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.cells import cell_len
from rich.console import Console

from service.cli_db import database_url, migrate_database, open_database
from service.cli_errors import CliFailure, nothing_written_if_interrupted

user_app = typer.Typer(help="工作台账户 / workbench accounts", no_args_is_help=True)

out = Console()

DatabaseOption = Annotated[str | None, typer.Option(
    "--database-url", envvar="XUNCHA_DATABASE_URL",
    help="SQLAlchemy URL (default: SQLite file var/xuncha.sqlite3)")]
PasswordStdin = Annotated[bool, typer.Option(
    "--password-stdin", help="从标准输入读取密码（一行）/ read the password from standard "
                             "input (one line)")]


def _password(from_stdin: bool) -> str:
    """The new password, checked against the rule before anything is opened."""
    from service.accounts import PASSWORD_RULE_EN, PASSWORD_RULE_ZH, password_problem

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt(
            f"密码（{PASSWORD_RULE_ZH}）/ password ({PASSWORD_RULE_EN})", hide_input=True,
            confirmation_prompt="再输入一次 / repeat it")
    problem = password_problem(password)
    if problem is not None:
        raise CliFailure(*problem, code=2)
    return password


def _failure(exc: Exception) -> CliFailure:
    from service.accounts import AccountError

    if isinstance(exc, AccountError):
        return CliFailure(exc.zh, exc.en, code=2 if exc.field in ("name", "scope") else 1)
    raise exc


@user_app.command("create")
def user_create(
    name: Annotated[str, typer.Argument(help="账户名（登录时输入）/ the name to sign in with")],
    role: Annotated[str, typer.Option(
        help="admin / organizer / approver / auditor / viewer / supervisor")],
    scope: Annotated[str | None, typer.Option(
        help="行政区划代码：只能看到并修改该区划及下级 / region code limiting the account")
    ] = None,
    password_stdin: PasswordStdin = False,
    database_url_option: DatabaseOption = None,
) -> None:
    """新建账户 / create an account."""
    from pool.db import transaction
    from service import audit
    from service.accounts import AccountError, create_user
    from service.auth import ROLE_ZH, Role
    from service.imports import cli_actor

    if role not in Role.__members__:
        raise CliFailure(f"未知角色 {role}；可选：{', '.join(Role)}",
                         f"unknown role {role}; valid: {', '.join(Role)}", code=2)
    password = _password(password_stdin)
    engine = migrate_database(database_url(database_url_option))
    try:
        with nothing_written_if_interrupted(), transaction(engine) as session:
            create_user(session, name=name, password=password, role=Role(role), scope=scope,
                        actor=cli_actor(), now=audit.utcnow())
    except AccountError as exc:
        raise _failure(exc) from None
    where = f"，区划 {scope}" if scope else ""
    out.print(f"已创建账户 {name.strip()}（{ROLE_ZH[Role(role)]} {role}{where}）/ created the "
              f"account {name.strip()} ({role}{', scope ' + scope if scope else ''})",
              highlight=False, markup=False, soft_wrap=True)


@user_app.command("disable")
def user_disable(
    name: Annotated[str, typer.Argument(help="账户名 / the account's name")],
    database_url_option: DatabaseOption = None,
) -> None:
    """停用账户（其会话立即结束）/ disable an account (its sessions end at once)."""
    from pool.db import transaction
    from service import audit
    from service.accounts import AccountError, disable_user
    from service.imports import cli_actor

    engine = open_database(database_url(database_url_option))
    try:
        with nothing_written_if_interrupted(), transaction(engine) as session:
            ended = disable_user(session, name, actor=cli_actor(), now=audit.utcnow())
    except AccountError as exc:
        raise _failure(exc) from None
    out.print(f"已停用账户 {name}，结束会话 {ended} 个 / disabled {name}; {ended} session(s) "
              "ended", highlight=False, markup=False, soft_wrap=True)


@user_app.command("reset-password")
def user_reset_password(
    name: Annotated[str, typer.Argument(help="账户名 / the account's name")],
    password_stdin: PasswordStdin = False,
    database_url_option: DatabaseOption = None,
) -> None:
    """重设密码（解除锁定，结束其会话）/ set a new password (lifts a lock, ends its sessions)."""
    from pool.db import transaction
    from service import audit
    from service.accounts import AccountError, find_user, reset_password
    from service.imports import cli_actor

    engine = open_database(database_url(database_url_option))
    with transaction(engine) as session:  # say so before asking for a password
        if find_user(session, name) is None:
            raise CliFailure(f"没有名为 {name} 的账户（用 ./dev xuncha user list 查看）",
                             f"no account is named {name} (see ./dev xuncha user list)")
    password = _password(password_stdin)
    try:
        with nothing_written_if_interrupted(), transaction(engine) as session:
            ended = reset_password(session, name, password, actor=cli_actor(),
                                   now=audit.utcnow())
    except AccountError as exc:
        raise _failure(exc) from None
    out.print(f"已重设 {name} 的密码，结束会话 {ended} 个 / reset the password of {name}; "
              f"{ended} session(s) ended", highlight=False, markup=False, soft_wrap=True)


@user_app.command("list")
def user_list(database_url_option: DatabaseOption = None) -> None:
    """列出账户 / list the accounts."""
    from pool.db import transaction
    from service import audit
    from service.accounts import all_users

    engine = open_database(database_url(database_url_option))
    now = audit.utcnow()
    with transaction(engine) as session:
        rows = [(u.name, u.role, u.scope, u.created_at, u.disabled_at, u.locked_until)
                for u in all_users(session)]
    if not rows:
        out.print("尚无账户；用 ./dev xuncha user create 名称 --role … 新建 / no accounts yet; "
                  "create one with ./dev xuncha user create NAME --role …", highlight=False,
                  markup=False)
        return
    table = [("账户 name", "角色 role", "区划 scope", "创建 created", "状态 state")]
    for name, role, scope, created, disabled, locked in rows:
        state = ("已停用 disabled" if disabled else
                 f"锁定至 locked until {locked:%H:%M} UTC" if locked and locked > now else
                 "有效 active")
        table.append((name, role, scope or "全部 all", f"{created:%Y-%m-%d %H:%M} UTC", state))
    widths = [max(cell_len(line[i]) for line in table) for i in range(len(table[0]))]
    for line in table:
        out.print("  ".join(cell + " " * (width - cell_len(cell))
                            for cell, width in zip(line, widths, strict=True)).rstrip(),
                  soft_wrap=True, markup=False, highlight=False)
