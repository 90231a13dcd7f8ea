"""Proposals: runs of the optimizer, manual changes, approval, replay and the report."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["proposals"])
