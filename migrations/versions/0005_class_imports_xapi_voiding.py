"""import batches of a class (attendance and results files are previewed before they are
written); voided xAPI statements

Revision ID: 0c1a55e5a7d1
Revises: 7372c86a9881
Create Date: 2026-11-23 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0c1a55e5a7d1'
down_revision = '7372c86a9881'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cohort_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_import_batches_cohort_id_cohorts'), 'cohorts',
                                    ['cohort_id'], ['id'])
    with op.batch_alter_table('xapi_statements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('voided_by', sa.String(length=36), nullable=True))


def downgrade():
    with op.batch_alter_table('xapi_statements', schema=None) as batch_op:
        batch_op.drop_column('voided_by')
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_import_batches_cohort_id_cohorts'),
                                 type_='foreignkey')
        batch_op.drop_column('cohort_id')
