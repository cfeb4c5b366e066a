"""a region may require a competency of every position (issue 13, KH-9)

`region_priorities.min_level`: the level every position in the region requires at least (island
communes: sea sovereignty, defence); 0 adds nothing, as before.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 19:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('region_priorities') as batch:
        batch.add_column(sa.Column('min_level', sa.SmallInteger(), nullable=False,
                                   server_default='0'))


def downgrade():
    with op.batch_alter_table('region_priorities') as batch:
        batch.drop_column('min_level')
