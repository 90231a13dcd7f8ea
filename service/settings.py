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
    host: str = "127.0.0.1"
    port: int = 8000


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
