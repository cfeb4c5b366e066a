"""Recommender engine: gaps, course ranking, learning paths, mentors, demand.

A pure library (numpy, pandas, scikit-learn) working on whole matrices: indices are plain
integers into arrays the caller builds; names are passed in only for explanations. It never
imports the web app, Flask or the ORM.
"""

from .evidence import current_levels
from .mentors import Mentor, MentorFinder
from .paths import Path, Suggestion, course_demand, explain, learning_paths, rank_courses
from .requirements import gap_matrix, required_levels

__all__ = [
    "Mentor",
    "MentorFinder",
    "Path",
    "Suggestion",
    "course_demand",
    "current_levels",
    "explain",
    "gap_matrix",
    "learning_paths",
    "rank_courses",
    "required_levels",
]
