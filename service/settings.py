"""The one validated settings object, read from XUNCHA_* environment variables or .env."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="XUNCHA_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///var/xuncha.sqlite3",
        description="SQLAlchemy URL; SQLite by default, postgresql://… in production",
    )
    sample_data_dir: Path = Field(default=Path("sample_data/city"))
    sample_round: Path = Field(default=Path("sample_data/rounds/2026-4.yaml"),
                               description="the round the demo assembles")
    sample_cross: Path = Field(default=Path("sample_data/rounds/2027-cross.yaml"),
                               description="the cross-inspection the demo pairs")
    sample_as_of: dt.date = Field(
        default=dt.date(2026, 11, 1),
        description="the day the sample data describes; the demo screens as of this day",
    )
    echo_sql: bool = False
    run_jobs: bool = Field(default=True, description="run queued jobs in this API process")
    job_poll_seconds: float = Field(default=1.0, gt=0)
    draw_wall_time: float = Field(
        default=120.0, gt=0, le=3600,
        description="wall-clock safety net per solve phase of a draw, in seconds; a draw it "
                    "stops fails (never a result) and can be run again")
    checkpoint_key: Path | None = Field(
        default=None,
        description="the Ed25519 private key (PEM file, kept outside the database) that signs "
                    "audit checkpoints; `xuncha audit keygen` makes one")
    report_font: Path | None = Field(
        default=None,
        description="the CJK font file (.ttf/.otf/.ttc) embedded in PDF reports; default: "
                    "fontconfig's Noto Sans CJK SC, else known system paths")
    host: str = "127.0.0.1"
    port: int = 8000
    # request limits (docs/security.md "限制 / Limits")
    max_body_bytes: int = Field(default=1 << 20, ge=1024,
                                description="largest request body, except uploads (413)")
    max_upload_bytes: int = Field(default=64 << 20, ge=1024,
                                  description="largest upload to /v1/imports (413)")
    max_header_bytes: int = Field(default=64 << 10, ge=4096,
                                  description="largest request head: line and headers (431)")
    header_timeout_seconds: float = Field(
        default=20.0, gt=0, le=600,
        description="a connection must send a complete request head within this (408)")
    body_timeout_seconds: float = Field(
        default=30.0, gt=0, le=600,
        description="longest pause within a request body (408)")
    auth_failures_per_window: int = Field(
        default=10, ge=1, description="failed tokens one client may send per window (429)")
    auth_failure_window_seconds: float = Field(default=60.0, gt=0, le=86400)
    # the workbench's sign-in (docs/security.md "账户与登录 / Accounts and sign-in")
    session_idle_minutes: float = Field(
        default=30.0, gt=0, le=24 * 60,
        description="a signed-in browser left alone this long must sign in again")
    session_max_hours: float = Field(
        default=12.0, gt=0, le=7 * 24,
        description="a session ends this long after sign-in, however busy")
    session_cookie_secure: bool | None = Field(
        default=None,
        description="mark the session cookie Secure; default: when the request came over "
                    "https (behind a TLS proxy, set it true)")
    signin_lock_failures: int = Field(
        default=5, ge=1, description="failed sign-ins of one account that lock it")
    signin_lock_window_minutes: float = Field(
        default=15.0, gt=0, description="…counted within this many minutes")
    signin_lock_minutes: float = Field(
        default=15.0, gt=0, description="how long a locked account stays locked")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
