"""`POST /v1/audit/checkpoints` as auditors use it: an auditor or an administrator gets a
signed checkpoint that `xuncha audit verify` accepts against the auditors' public key;
other roles and region-scoped tokens are refused; without a configured key the answer
says how to configure one (never a 500)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from pool import models as m
from pool.db import transaction
from service.app import create_app
from service.checkpoint import document_text, write_new_key
from service.cli import app
from service.settings import Settings
from tests.e2e.api_client import Api


def _api(url: str, key: Path | None) -> Iterator[Api]:
    settings = Settings(database_url=url, run_jobs=False, checkpoint_key=key)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        api = Api(client, url)
        try:
            yield api
        finally:
            api.engine.dispose()


@pytest.fixture
def keyed_api(city_url: str, tmp_path: Path) -> Iterator[Api]:
    write_new_key(tmp_path / "checkpoint.pem")
    yield from _api(city_url, tmp_path / "checkpoint.pem")


@pytest.fixture
def keyless_api(city_url: str) -> Iterator[Api]:
    yield from _api(city_url, None)


def _checkpoints(api: Api) -> int:
    with transaction(api.engine) as session:
        return session.execute(select(func.count()).where(
            m.AuditEvent.kind == "audit.checkpoint")).scalar_one()


def test_auditors_and_administrators_sign_checkpoints_that_verify(
        keyed_api: Api, tmp_path: Path) -> None:
    api = keyed_api
    files = []
    for role in ("auditor", "admin"):
        r = api.post("/v1/audit/checkpoints", role)
        assert r.status_code == 201, r.text
        doc = r.json()
        assert doc["format"] == "xuncha-audit-checkpoint-v1" and doc["head"]["seq"] > 1
        files.append(tmp_path / f"{role}.json")
        files[-1].write_text(document_text(doc), encoding="utf-8")
    assert _checkpoints(api) == 2
    args = [a for f in files for a in ("--checkpoint", str(f))]
    result = CliRunner().invoke(app, ["audit", "verify", "--database-url", api.url, *args,
                                      "--public-key", str(tmp_path / "checkpoint.pem.pub")])
    assert result.exit_code == 0, result.output
    assert "2 个检查点相符" in result.output


def test_other_roles_and_scoped_tokens_may_not_sign(keyed_api: Api) -> None:
    api = keyed_api
    for role in ("organizer", "viewer", "approver", "supervisor"):
        r = api.post("/v1/audit/checkpoints", role)
        assert r.status_code == 403, (role, r.text)
        assert r.json()["error"]["code"] == "forbidden"
    scoped = api.call("POST", "/v1/audit/checkpoints", "auditor", scope="320125")
    assert scoped.status_code == 403 and "区划" in scoped.json()["error"]["zh"]
    assert _checkpoints(api) == 0


def test_without_a_key_the_answer_says_how_to_configure_one(keyless_api: Api) -> None:
    r = keyless_api.post("/v1/audit/checkpoints", "auditor")
    assert r.status_code == 503, r.text
    error = r.json()["error"]
    assert error["code"] == "checkpoint_key_missing"
    assert "XUNCHA_CHECKPOINT_KEY" in error["zh"] and "xuncha audit keygen" in error["en"]
    assert _checkpoints(keyless_api) == 0

