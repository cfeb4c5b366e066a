"""Required levels per official (position + region priorities, KH-9) and the gaps."""

from __future__ import annotations

import numpy as np

from .evidence import MAX_LEVEL


def _lookup(table: np.ndarray, index: np.ndarray, name: str) -> np.ndarray:
    """``table[index]`` where index -1 selects an all-zero row."""
    table = np.asarray(table)
    index = np.asarray(index, dtype=np.int64)
    if index.ndim != 1:
        raise ValueError(f"{name} must be a 1-D integer array")
    if index.size and (index.min() < -1 or index.max() >= table.shape[0]):
        raise ValueError(f"{name} must hold indices in -1..{table.shape[0] - 1}")
    padded = np.concatenate([table, np.zeros((1, table.shape[1]), dtype=table.dtype)])
    return padded[index]  # -1 picks the zero row appended last


def required_levels(position_required: np.ndarray, official_position: np.ndarray,
                    region_bump: np.ndarray, region_weight: np.ndarray,
                    official_region: np.ndarray, region_floor: np.ndarray | None = None,
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Required level and gap weight of every official on every competency.

    * ``position_required`` (P×C): level the job position (vị trí việc làm) requires, 0 = not
      required. ``official_position`` (N): index into positions, -1 = no position, which
      requires nothing.
    * ``region_bump`` (R×C): added to the required level only where the position already
      requires the competency (> 0), clipped to 1..4; a bump never adds or removes a
      requirement.
    * ``region_floor`` (R×C, optional): the level every position in the region requires at
      least (KH-9: an island commune's officials all need sea sovereignty and defence), 0 = no
      floor; it adds a requirement the position lacks. An official without a position gets
      none.
    * ``region_weight`` (R×C): extra weight of the region's priority competencies; the weight is
      ``1.0 + region_weight``. ``official_region`` (N): index into regions, -1 = none.

    Returns ``(required, weight)``: ``int8`` N×C and ``float32`` N×C.
    """
    position_required = np.asarray(position_required)
    region_bump = np.asarray(region_bump)
    region_weight = np.asarray(region_weight, dtype=np.float32)
    n_competencies = position_required.shape[1]
    if region_bump.shape[1:] != (n_competencies,) or region_weight.shape != region_bump.shape:
        raise ValueError("region_bump and region_weight must both be R×C with the positions' C")
    if len(official_position) != len(official_region):
        raise ValueError("official_position and official_region must have the same length")

    base = _lookup(position_required.astype(np.int16), official_position, "official_position")
    bump = _lookup(region_bump.astype(np.int16), official_region, "official_region")
    extra = _lookup(region_weight, official_region, "official_region")

    required = np.where(base > 0, np.clip(base + bump, 1, MAX_LEVEL), 0)
    if region_floor is not None:
        region_floor = np.asarray(region_floor)
        if region_floor.shape != region_bump.shape:
            raise ValueError("region_floor must be R×C as region_bump")
        floor = _lookup(np.clip(region_floor, 0, MAX_LEVEL).astype(np.int16), official_region,
                        "official_region")
        placed = (np.asarray(official_position) >= 0)[:, None]
        required = np.where(placed, np.maximum(required, floor), required)
    required = required.astype(np.int8)
    weight = (np.float32(1.0) + extra).astype(np.float32)
    return required, weight


def gap_matrix(required: np.ndarray, current: np.ndarray) -> np.ndarray:
    """``max(0, required - current)`` as ``int8`` N×C: what each official still lacks."""
    required = np.asarray(required, dtype=np.int16)
    current = np.asarray(current, dtype=np.int16)
    if required.shape != current.shape:
        raise ValueError(f"required {required.shape} and current {current.shape} differ in shape")
    return np.maximum(required - current, 0).astype(np.int8)
