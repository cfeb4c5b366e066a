"""the largest share of a unit's officials away in class at once (issue 12)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 19:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('units') as batch:
        batch.add_column(sa.Column('max_away_percent', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('units') as batch:
        batch.drop_column('max_away_percent')
