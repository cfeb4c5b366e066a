"""the DL-c preset's note without a file path (issue 12)

A preset's note is seeded once; databases seeded before issue 12 keep "(docs/decisions.md)" in
the DL-c note, shown to HR. Only a note still exactly as seeded is changed.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 18:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

OLD = "Kỹ năng hành chính gồm tiếp dân, xử lý tình huống (docs/decisions.md)."
NEW = "Kỹ năng hành chính gồm tiếp dân, xử lý tình huống."


def upgrade():
    op.execute(sa.text("UPDATE targets SET note = :new WHERE code = 'DL-c' AND note = :old")
               .bindparams(new=NEW, old=OLD))


def downgrade():
    op.execute(sa.text("UPDATE targets SET note = :old WHERE code = 'DL-c' AND note = :new")
               .bindparams(new=NEW, old=OLD))
