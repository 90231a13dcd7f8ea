"""Rounds, their plans and seed commitments."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["rounds"])
