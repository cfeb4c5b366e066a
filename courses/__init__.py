"""Course catalog library: competencies, courses, providers, job positions (no Flask, no ORM)."""
from .catalog import (
    DATA_DIR,
    Catalog,
    CatalogError,
    Competency,
    Course,
    Module,
    Position,
    Provider,
    RegionPriority,
    load_catalog,
    parse_rows,
)

__all__ = [
    "DATA_DIR", "Catalog", "CatalogError", "Competency", "Course", "Module", "Position", "Provider",
    "RegionPriority", "load_catalog", "parse_rows",
]
