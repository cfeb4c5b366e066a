"""Backup and restore as docs/deploy.md says to do them, tried for real on the suite's database:
deploy/backup.sh, then pg_restore into a new database (PostgreSQL) or the copy opened as the
database (SQLite); the restored copy holds the same rows and the app works on it."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import sqlalchemy as sa

from tests.conftest import make_app
from trainer.core.extensions import db

ROOT = Path(__file__).resolve().parent.parent


def counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        out = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar()
               for t in ("units", "officials", "assessments", "users", "alembic_version")}
    engine.dispose()
    return out


def test_a_backup_restores_to_a_working_database(app, catalog, make_official, make_user,
                                                 database_url, tmp_path):
    from trainer.catalog.models import Competency
    from trainer.people.operations import record_assessment
    competency = db.session.scalar(sa.select(Competency).order_by(Competency.code))
    for _ in range(5):
        official = make_official()
        record_assessment(official, competency, 2, source="supervisor", assessor="Trưởng phòng")
    make_user("hr", unit_id=official.unit_id)
    db.session.commit()
    before = counts(database_url)
    env = dict(os.environ, TRAINER_DATABASE_URL=database_url, BACKUP_DIR=str(tmp_path / "bk"),
               KEEP_DAYS="30")
    done = subprocess.run(["bash", str(ROOT / "deploy/backup.sh")], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    backup = Path(done.stdout.strip())
    assert backup.exists() and backup.stat().st_size > 0
    if database_url.startswith("postgresql"):
        base = sa.make_url(database_url)
        restored = base.set(database=f"{base.database}_restored")
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{restored.database}"'))
            conn.execute(sa.text(f'CREATE DATABASE "{restored.database}"'))
        libpq = restored.render_as_string(hide_password=False).replace("+psycopg", "")
        run = subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={libpq}",
                              str(backup)], capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr
        restored_url = restored.render_as_string(hide_password=False)
    else:
        restored_url = f"sqlite:///{backup}"
    try:
        assert counts(restored_url) == before
        copy = make_app(restored_url)
        with copy.app_context():
            response = copy.test_client().get("/healthz")
            db.engine.dispose()
        assert response.status_code == 200 and response.get_json()["migrations"] == "current"
    finally:
        if database_url.startswith("postgresql"):
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{restored.database}" WITH (FORCE)'))
            admin.dispose()
