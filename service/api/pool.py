"""Pool resources: regions, systems, units, persons, cadres, employments, ties,
participations and evaluations; file import and export."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["pool"])
