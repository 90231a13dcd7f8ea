"""The import template as the CLI (`xuncha template`) and the API (GET
/v1/pool/template.xlsx) serve it: the format of `pool.formats` with the drop-down lists of
this pool's skills and systems (`pool.template`)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy.orm import Session

from pool.formats import Choice
from pool.repository import PoolRepository
from pool.template import workbook_bytes
from pool.template_notes import Catalogue


def _choices(frame: pd.DataFrame) -> tuple[Choice, ...]:
    rows = frame.sort_values("code")
    return tuple(Choice(code, zh, en if isinstance(en, str) else "")
                 for code, zh, en in zip(rows["code"], rows["name_zh"], rows["name_en"],
                                         strict=True))


def catalogue(session: Session) -> Catalogue:
    """The pool's skills and systems, by code."""
    repo = PoolRepository(session)
    return Catalogue(skills=_choices(repo.skill_labels()),
                     systems=_choices(repo.system_labels()))


def template_workbook(session: Session) -> bytes:
    """The `.xlsx` import template with this pool's code lists."""
    return workbook_bytes(catalogue(session))
