"""`GET /healthz` for load balancers and monitoring, without login: 200 when the database
answers, its schema is at the migrations' head and (when configured) Redis answers; else 503
naming what is wrong. Nothing about the data is shown."""
from __future__ import annotations

from functools import cache

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify

from trainer.core.extensions import db

bp = Blueprint("health", __name__)


@cache
def shipped_revisions(directory: str) -> tuple[frozenset[str], frozenset[str]]:
    """The head revisions of the migrations shipped with this version, and all of them (read
    once per process)."""
    from alembic.config import Config
    config = Config()
    config.set_main_option("script_location", directory)
    script = ScriptDirectory.from_config(config)
    return (frozenset(script.get_heads()),
            frozenset(r.revision for r in script.walk_revisions()))


def check() -> tuple[dict, bool]:
    report: dict[str, str] = {"status": "ok"}
    healthy = True
    try:
        with db.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
            current = frozenset(MigrationContext.configure(conn).get_current_heads())
        report["database"] = "ok"
        heads, known = shipped_revisions(current_app.extensions["migrate"].directory)
        if current == heads:
            report["migrations"] = "current"
        else:
            healthy = False
            report["migrations"] = ("behind: run `trainer db upgrade`" if current <= known
                                    else "ahead of this version: upgrade the code")
    except sa.exc.SQLAlchemyError as e:
        healthy = False
        report["database"] = f"unreachable ({type(e).__name__})"
        report["migrations"] = "unknown"
    if current_app.config["REDIS_URL"]:
        from trainer.core.store import redis_client
        try:
            redis_client().ping()
            report["redis"] = "ok"
        except Exception as e:  # noqa: BLE001 — any failure means "not usable"
            healthy = False
            report["redis"] = f"unreachable ({type(e).__name__})"
    if not healthy:
        report["status"] = "error"
    return report, healthy


@bp.route("/healthz")
def healthz():
    report, healthy = check()
    response = jsonify(report)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
