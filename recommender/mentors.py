"""On-site mentoring (KH-5): colleagues nearby who already master what an official lacks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.neighbors import NearestNeighbors
from sklearn.utils.validation import check_is_fitted

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data
except ImportError:  # pragma: no cover - older scikit-learn
    validate_data = None


@dataclass
class Mentor:
    official: int
    competencies: list[int]  # gap competencies this mentor can coach (level >= required)
    same_unit: bool


class MentorFinder(BaseEstimator):
    """Find mentors for an official among colleagues of the same unit or region.

    A candidate is any other official in the same unit or the same region whose level reaches
    the required level on at least one competency where the official has a gap. Candidates
    are ordered same-unit first, then by closeness to the required profile: Euclidean
    :class:`~sklearn.neighbors.NearestNeighbors` distance between the candidate's levels
    capped at the requirement and the requirement itself, over the gap competencies only —
    that is, how much of the gap the candidate could *not* coach (ties: lower index).

    Parameters
    ----------
    n_neighbors : int, default=5
        Maximum number of mentors returned by :meth:`suggest`.

    Attributes
    ----------
    levels_ : ndarray of shape (n_officials, n_competencies)
    unit_, region_ : ndarray of shape (n_officials,)
    n_features_in_ : int
    """

    def __init__(self, n_neighbors: int = 5):
        self.n_neighbors = n_neighbors

    def fit(self, levels: np.ndarray, unit: np.ndarray, region: np.ndarray) -> "MentorFinder":
        if not isinstance(self.n_neighbors, (int, np.integer)) or self.n_neighbors < 1:
            raise ValueError(f"n_neighbors must be a positive integer, got {self.n_neighbors!r}")
        if validate_data is not None:
            levels = validate_data(self, levels, dtype=np.int16, ensure_min_samples=1)
        else:  # pragma: no cover
            from sklearn.utils import check_array
            levels = check_array(levels, dtype=np.int16)
            self.n_features_in_ = levels.shape[1]
        unit = np.asarray(unit)
        region = np.asarray(region)
        if unit.shape != (levels.shape[0],) or region.shape != (levels.shape[0],):
            raise ValueError("unit and region must be 1-D with one entry per official")
        self.levels_ = levels
        self.unit_ = unit
        self.region_ = region
        return self

    def suggest(self, official: int, required_row: np.ndarray) -> list[Mentor]:
        """Up to ``n_neighbors`` mentors for ``official`` given its required levels (length C)."""
        check_is_fitted(self)
        required_row = np.asarray(required_row, dtype=np.int16)
        if required_row.shape != (self.n_features_in_,):
            raise ValueError(f"required_row must have length {self.n_features_in_}")
        own = self.levels_[official]
        gaps = np.flatnonzero(required_row > own)
        if gaps.size == 0:
            return []
        target = required_row[gaps]
        nearby = (self.unit_ == self.unit_[official]) | (self.region_ == self.region_[official])
        nearby[official] = False
        can_coach = self.levels_[:, gaps] >= target          # N × gaps
        candidates = np.flatnonzero(nearby & can_coach.any(axis=1))
        if candidates.size == 0:
            return []

        capped = np.minimum(self.levels_[np.ix_(candidates, gaps)], target).astype(np.float64)
        nn = NearestNeighbors(n_neighbors=candidates.size, metric="euclidean", algorithm="brute")
        distance, index = nn.fit(capped).kneighbors(target[None, :].astype(np.float64))
        distance, index = distance[0], index[0]
        same_unit = self.unit_[candidates[index]] == self.unit_[official]
        # Same unit first, then closer, then lower official index.
        order = np.lexsort((candidates[index], distance, ~same_unit))[: self.n_neighbors]
        return [
            Mentor(official=int(candidates[index[i]]),
                   competencies=gaps[can_coach[candidates[index[i]]]].tolist(),
                   same_unit=bool(same_unit[i]))
            for i in order
        ]
