"""accounts and units for going live (issue 8)

Accounts get an e-mail, a forced password change and dates; a unit can be closed by a merge into another, and the merge keeps what it
moved so that reports as of an earlier date still show the closed unit.

Revision ID: 0006
Revises: 0c1a55e5a7d1
Create Date: 2026-12-01 08:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0c1a55e5a7d1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('unit_merges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('from_unit_id', sa.Integer(), nullable=False),
    sa.Column('into_unit_id', sa.Integer(), nullable=False),
    sa.Column('merged_on', sa.Date(), nullable=False),
    sa.Column('decision_no', sa.String(length=80), nullable=False),
    sa.Column('official_ids', sa.JSON(), nullable=False),
    sa.Column('child_unit_ids', sa.JSON(), nullable=False),
    sa.Column('recorded_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['from_unit_id'], ['units.id'], name=op.f('fk_unit_merges_from_unit_id_units')),
    sa.ForeignKeyConstraint(['into_unit_id'], ['units.id'], name=op.f('fk_unit_merges_into_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_merges'))
    )
    with op.batch_alter_table('unit_merges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_merges_from_unit_id'), ['from_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_merges_into_unit_id'), ['into_unit_id'], unique=False)

    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_units_merged_into_id_units'), 'units', ['merged_into_id'], ['id'])

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('created_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('created_by', sa.String(length=120), server_default='', nullable=False))
        batch_op.create_unique_constraint(batch_op.f('uq_users_official_id'), ['official_id'])



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_official_id'), type_='unique')
        batch_op.drop_column('created_by')
        batch_op.drop_column('created_at')
        batch_op.drop_column('last_login_at')
        batch_op.drop_column('password_changed_at')
        batch_op.drop_column('must_change_password')
        batch_op.drop_column('email')

    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_units_merged_into_id_units'), type_='foreignkey')
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('closed_on')

    with op.batch_alter_table('unit_merges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_merges_into_unit_id'))
        batch_op.drop_index(batch_op.f('ix_unit_merges_from_unit_id'))

    op.drop_table('unit_merges')
