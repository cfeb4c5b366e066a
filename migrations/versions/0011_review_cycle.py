"""the review cycle (issue 13): review campaigns, ratings by period, unit leaders, mentoring,
course feedback and lecturers, staffing quotas and the fields of study a position accepts

Existing ratings become annual ones (`period` "year", `period_no` 0).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 21:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('position_fields',
    sa.Column('position_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['position_id'], ['positions.id'], name=op.f('fk_position_fields_position_id_positions')),
    sa.PrimaryKeyConstraint('position_id', 'field', name=op.f('pk_position_fields'))
    )
    op.create_table('position_quotas',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('position_id', sa.Integer(), nullable=False),
    sa.Column('approved', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['position_id'], ['positions.id'], name=op.f('fk_position_quotas_position_id_positions')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_position_quotas_unit_id_units')),
    sa.PrimaryKeyConstraint('unit_id', 'position_id', name=op.f('pk_position_quotas'))
    )
    op.create_table('review_campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('unit_ids', sa.JSON(), nullable=False),
    sa.Column('position_codes', sa.JSON(), nullable=False),
    sa.Column('competency_codes', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('owner_unit_id', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['owner_unit_id'], ['units.id'], name=op.f('fk_review_campaigns_owner_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_campaigns'))
    )
    with op.batch_alter_table('review_campaigns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_campaigns_owner_unit_id'), ['owner_unit_id'], unique=False)

    op.create_table('campaign_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('official_id', sa.Integer(), nullable=False),
    sa.Column('assessor_official_id', sa.Integer(), nullable=True),
    sa.Column('self_submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_by', sa.String(length=120), nullable=False),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assessor_official_id'], ['officials.id'], name=op.f('fk_campaign_reviews_assessor_official_id_officials')),
    sa.ForeignKeyConstraint(['campaign_id'], ['review_campaigns.id'], name=op.f('fk_campaign_reviews_campaign_id_review_campaigns')),
    sa.ForeignKeyConstraint(['official_id'], ['officials.id'], name=op.f('fk_campaign_reviews_official_id_officials')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_reviews')),
    sa.UniqueConstraint('campaign_id', 'official_id', name=op.f('uq_campaign_reviews_campaign_id'))
    )
    with op.batch_alter_table('campaign_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_reviews_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaign_reviews_official_id'), ['official_id'], unique=False)

    op.create_table('mentorships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mentor_id', sa.Integer(), nullable=False),
    sa.Column('mentee_id', sa.Integer(), nullable=False),
    sa.Column('competency_id', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('target_level', sa.SmallInteger(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('reached_level', sa.SmallInteger(), nullable=True),
    sa.Column('confirmed_by', sa.String(length=120), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['competency_id'], ['competencies.id'], name=op.f('fk_mentorships_competency_id_competencies')),
    sa.ForeignKeyConstraint(['mentee_id'], ['officials.id'], name=op.f('fk_mentorships_mentee_id_officials')),
    sa.ForeignKeyConstraint(['mentor_id'], ['officials.id'], name=op.f('fk_mentorships_mentor_id_officials')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentorships'))
    )
    with op.batch_alter_table('mentorships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentorships_mentee_id'), ['mentee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mentorships_mentor_id'), ['mentor_id'], unique=False)

    op.create_table('unit_leaders',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('official_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['official_id'], ['officials.id'], name=op.f('fk_unit_leaders_official_id_officials')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_unit_leaders_unit_id_units')),
    sa.PrimaryKeyConstraint('unit_id', name=op.f('pk_unit_leaders'))
    )
    with op.batch_alter_table('unit_leaders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_leaders_official_id'), ['official_id'], unique=False)

    op.create_table('campaign_levels',
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('competency_id', sa.Integer(), nullable=False),
    sa.Column('self_level', sa.SmallInteger(), nullable=True),
    sa.Column('confirmed_level', sa.SmallInteger(), nullable=True),
    sa.Column('comment', sa.String(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['competency_id'], ['competencies.id'], name=op.f('fk_campaign_levels_competency_id_competencies')),
    sa.ForeignKeyConstraint(['review_id'], ['campaign_reviews.id'], name=op.f('fk_campaign_levels_review_id_campaign_reviews')),
    sa.PrimaryKeyConstraint('review_id', 'competency_id', name=op.f('pk_campaign_levels'))
    )
    op.create_table('cohort_lecturers',
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_cohort_lecturers_cohort_id_cohorts')),
    sa.PrimaryKeyConstraint('cohort_id', 'name', name=op.f('pk_cohort_lecturers'))
    )
    op.create_table('mentoring_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mentorship_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('minutes', sa.SmallInteger(), nullable=False),
    sa.Column('content', sa.String(length=1000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['mentorship_id'], ['mentorships.id'], name=op.f('fk_mentoring_sessions_mentorship_id_mentorships')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentoring_sessions'))
    )
    with op.batch_alter_table('mentoring_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentoring_sessions_mentorship_id'), ['mentorship_id'], unique=False)

    op.create_table('course_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enrollment_id', sa.Integer(), nullable=False),
    sa.Column('fit', sa.SmallInteger(), nullable=False),
    sa.Column('lecturers', sa.SmallInteger(), nullable=False),
    sa.Column('materials', sa.SmallInteger(), nullable=False),
    sa.Column('use_at_work', sa.SmallInteger(), nullable=False),
    sa.Column('comment', sa.String(length=2000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['enrollment_id'], ['enrollments.id'], name=op.f('fk_course_feedback_enrollment_id_enrollments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_feedback')),
    sa.UniqueConstraint('enrollment_id', name=op.f('uq_course_feedback_enrollment_id'))
    )
    with op.batch_alter_table('post_training_reviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('use_at_work', sa.SmallInteger(), nullable=True))

    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('period', sa.String(length=8), server_default='year', nullable=False))
        batch_op.add_column(sa.Column('period_no', sa.SmallInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('note', sa.Text(), server_default='', nullable=False))
        batch_op.drop_constraint(batch_op.f('uq_ratings_official_id'), type_='unique')
        batch_op.create_unique_constraint('uq_ratings_official_period', ['official_id', 'year', 'period', 'period_no'])



def downgrade():
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.drop_constraint('uq_ratings_official_period', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_ratings_official_id'), ['official_id', 'year'])
        batch_op.drop_column('note')
        batch_op.drop_column('period_no')
        batch_op.drop_column('period')

    with op.batch_alter_table('post_training_reviews', schema=None) as batch_op:
        batch_op.drop_column('use_at_work')

    op.drop_table('course_feedback')
    with op.batch_alter_table('mentoring_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mentoring_sessions_mentorship_id'))

    op.drop_table('mentoring_sessions')
    op.drop_table('cohort_lecturers')
    op.drop_table('campaign_levels')
    with op.batch_alter_table('unit_leaders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_leaders_official_id'))

    op.drop_table('unit_leaders')
    with op.batch_alter_table('mentorships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mentorships_mentor_id'))
        batch_op.drop_index(batch_op.f('ix_mentorships_mentee_id'))

    op.drop_table('mentorships')
    with op.batch_alter_table('campaign_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_reviews_official_id'))
        batch_op.drop_index(batch_op.f('ix_campaign_reviews_campaign_id'))

    op.drop_table('campaign_reviews')
    with op.batch_alter_table('review_campaigns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_campaigns_owner_unit_id'))

    op.drop_table('review_campaigns')
    op.drop_table('position_quotas')
    op.drop_table('position_fields')
