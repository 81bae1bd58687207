"""The preset datasets, with a small sample of each for the page's thumbnails."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from app.api.strict import INVALID
from app.data import DATASETS, generate
from app.nn.network import MAX_CLASSES
from app.training.config import MIN_CLASSES

router = APIRouter(prefix="/api/datasets", tags=["datasets"], responses=INVALID)

SAMPLE_POINTS = 120


@router.get("")
def list_datasets(
    noise: float = Query(0.0, ge=0.0, le=1.0),
    classes: int = Query(MIN_CLASSES, ge=MIN_CLASSES, le=MAX_CLASSES),
) -> list[dict[str, Any]]:
    """Every preset: its kind, inputs, view and a small sample of points (seed 0)."""
    out = []
    for name, spec in DATASETS.items():
        ds = generate(name, n=SAMPLE_POINTS, noise=noise, classes=classes, seed=0)
        out.append(
            {
                "name": name,
                "kind": spec.kind,
                "inputs": spec.inputs,
                "domain": [list(d) for d in spec.domain],
                "x": ds.X.round(3).tolist(),
                "y": ds.y.tolist(),
            }
        )
    return out
