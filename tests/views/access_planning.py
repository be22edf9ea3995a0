"""Access-matrix rows for research lessons and their co-edited plans (lsweb/planning)."""

from __future__ import annotations

from .matrix import Row

ROWS: list[Row] = []
