"""The schema comes from the Alembic migrations, on SQLite and PostgreSQL alike."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tests.conftest import make_app, reset_schema
from trainer.core.extensions import db


def test_migrations_from_empty_database_leave_nothing_to_autogenerate(database_url, tmp_path):
    # A database of its own on SQLite; on PostgreSQL the shared one, rebuilt from empty.
    url = database_url if database_url.startswith("postgresql") else f"sqlite:///{tmp_path}/m.db"
    reset_schema(url)
    app = make_app(url)
    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        tables = set(sa.inspect(conn).get_table_names())
    assert diff == []
    assert {"officials", "assessments", "enrollments", "alembic_version"} <= tables


def test_upgrading_a_database_with_data_keeps_its_rows(database_url, tmp_path):
    from flask_migrate import downgrade, upgrade
    url = database_url if database_url.startswith("postgresql") else f"sqlite:///{tmp_path}/d.db"
    reset_schema(url)
    app = make_app(url)
    with app.app_context():
        downgrade(revision="40687798e293")  # the first schema
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO providers (id, code, name, kind) VALUES "
                                 "(1, 'P', 'Trường', 'college')"))
            conn.execute(sa.text(
                "INSERT INTO courses (id, code, name, provider_id, category, mode, hours, "
                "pass_mark, requires_approval, cost, description) VALUES "
                "(1, 'C', 'Khóa', 1, 'skills', 'in_person', 8, 5, false, 0, '')"))
            conn.execute(sa.text(
                "INSERT INTO cohorts (id, course_id, code, start_date, end_date, capacity, "
                "location, mode, status, created_at) VALUES (1, 1, 'L1', '2027-01-04', "
                "'2027-01-05', 20, '', 'in_person', 'open', '2026-11-01')"))
        upgrade()
        with db.engine.connect() as conn:
            row = conn.execute(sa.text("SELECT code, cancelled_reason FROM cohorts")).one()
    assert tuple(row) == ("L1", "")
    reset_schema(url)


def test_upgrading_drops_the_file_path_from_a_seeded_target_note(tmp_path):
    """0008: the DL-c preset seeded before issue 12 showed "(docs/decisions.md)" to HR."""
    from flask_migrate import downgrade, upgrade

    from trainer.targets.operations import seed_presets
    url = f"sqlite:///{tmp_path}/n.db"
    app = make_app(url)
    with app.app_context():
        upgrade()
        seed_presets()
        db.session.commit()
        downgrade(revision="0007")
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE targets SET note = 'Kỹ năng hành chính gồm tiếp dân, "
                                 "xử lý tình huống (docs/decisions.md).' WHERE code = 'DL-c'"))
        upgrade()
        with db.engine.connect() as conn:
            note = conn.execute(sa.text("SELECT note FROM targets WHERE code = 'DL-c'")).scalar()
    assert note == "Kỹ năng hành chính gồm tiếp dân, xử lý tình huống."
