"""class import batches, voided xAPI statements, confirmations replacing lost certificates

Attendance and results files of a class are previewed before they are written (the batch keeps
its class); a voided statement records what voided it; a lost certificate is replaced by a
numbered confirmation of completion.

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
    op.create_table('certificate_confirmations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enrollment_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('issued_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['enrollment_id'], ['enrollments.id'], name=op.f('fk_certificate_confirmations_enrollment_id_enrollments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_confirmations')),
    sa.UniqueConstraint('code', name=op.f('uq_certificate_confirmations_code')),
    sa.UniqueConstraint('number', name=op.f('uq_certificate_confirmations_number'))
    )
    with op.batch_alter_table('certificate_confirmations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_confirmations_enrollment_id'), ['enrollment_id'], unique=False)

    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cohort_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_import_batches_cohort_id_cohorts'), 'cohorts',
                                    ['cohort_id'], ['id'])
    with op.batch_alter_table('xapi_statements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('voided_by', sa.String(length=36), nullable=True))


def downgrade():
    with op.batch_alter_table('certificate_confirmations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_confirmations_enrollment_id'))
    op.drop_table('certificate_confirmations')
    with op.batch_alter_table('xapi_statements', schema=None) as batch_op:
        batch_op.drop_column('voided_by')
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_import_batches_cohort_id_cohorts'),
                                 type_='foreignkey')
        batch_op.drop_column('cohort_id')
