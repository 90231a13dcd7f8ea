"""A write is answered only after its transaction commits: when the commit fails, the
client hears an error (and nothing was saved), never a 2xx for a change that is not
there."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import SessionTransaction

from pool import models as m
from tests.e2e.api_client import Api

PLAN = {"key": "R-COMMIT", "name": "提交后再答复", "start": "2027-03-01", "end": "2027-04-30",
        "teams": [{"targets": ["U00003"]}]}


def test_a_commit_that_fails_is_an_error_not_a_201(sqlite_api: Api,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    api = sqlite_api
    real_commit = SessionTransaction.commit
    failed: list[bool] = []

    def commit_fails_once(self: SessionTransaction, *args: Any, **kwargs: Any) -> Any:
        outermost = self.parent is None  # not the subtransaction a flush commits
        if outermost and not failed and self.is_active and \
                self.session.get(m.Round, "R-COMMIT") is not None:
            failed.append(True)
            self.rollback()
            raise OperationalError("COMMIT", {}, Exception("disk I/O error"))
        return real_commit(self, *args, **kwargs)

    monkeypatch.setattr(SessionTransaction, "commit", commit_fails_once)
    r = api.post("/v1/rounds", "organizer", json={"plan": PLAN})
    assert failed, "the commit was never attempted with the round in it"
    assert r.status_code == 503, r.text
    error = r.json()["error"]
    assert "未保存" in error["zh"] and "nothing was saved" in error["en"]
    assert r.headers.get("retry-after")
    monkeypatch.setattr(SessionTransaction, "commit", real_commit)
    assert api.get("/v1/rounds/R-COMMIT", "organizer").status_code == 404
    again = api.post("/v1/rounds", "organizer", json={"plan": PLAN})
    assert again.status_code == 201, again.text
    assert api.get("/v1/rounds/R-COMMIT", "organizer").status_code == 200
