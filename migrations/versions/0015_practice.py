"""practice, wrong book, mock exams

Revision ID: 0015_practice
Revises: 0014_integrity_kinds
Create Date: 2026-12-03 10:39:38.765008

"""
from alembic import op
import sqlalchemy as sa

revision = '0015_practice'
down_revision = '0014_integrity_kinds'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('practice_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('closed', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('closed_note', sa.String(length=200), nullable=True),
    sa.Column('category_ids', sa.JSON(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_practice_settings_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practice_settings'))
    )
    op.create_table('mock_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('exam_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deadline_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('score', sa.Numeric(precision=6, scale=2), nullable=True),
    sa.CheckConstraint("state IN ('in_progress', 'submitted')", name=op.f('ck_mock_attempts_state')),
    sa.ForeignKeyConstraint(['exam_id'], ['exams.id'], name=op.f('fk_mock_attempts_exam_id_exams'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_mock_attempts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mock_attempts'))
    )
    with op.batch_alter_table('mock_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_mock_attempts_user_started', ['user_id', 'started_at'], unique=False)

    op.create_table('wrong_book',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_wrong_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('wrong_count', sa.Integer(), nullable=False),
    sa.Column('right_streak', sa.Integer(), nullable=False),
    sa.Column('last_right_on', sa.Date(), nullable=True),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['category_id'], ['question_categories.id'], name=op.f('fk_wrong_book_category_id_question_categories')),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_wrong_book_question_id_questions')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_wrong_book_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wrong_book')),
    sa.UniqueConstraint('user_id', 'question_id', name='uq_wrong_book_user_id_question_id')
    )
    with op.batch_alter_table('wrong_book', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wrong_book_user_id'), ['user_id'], unique=False)

    op.create_table('mock_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mock_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('question_version_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.Column('option_order', sa.JSON(), nullable=True),
    sa.Column('response', sa.JSON(), nullable=True),
    sa.Column('awarded', sa.Numeric(precision=6, scale=2), nullable=True),
    sa.ForeignKeyConstraint(['mock_id'], ['mock_attempts.id'], name=op.f('fk_mock_items_mock_id_mock_attempts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_version_id'], ['question_versions.id'], name=op.f('fk_mock_items_question_version_id_question_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mock_items')),
    sa.UniqueConstraint('mock_id', 'position', name='uq_mock_items_mock_id_position')
    )
    op.create_table('practice_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('question_version_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('response', sa.JSON(), nullable=True),
    sa.Column('correct', sa.Boolean(), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seconds', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['category_id'], ['question_categories.id'], name=op.f('fk_practice_answers_category_id_question_categories')),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_practice_answers_question_id_questions')),
    sa.ForeignKeyConstraint(['question_version_id'], ['question_versions.id'], name=op.f('fk_practice_answers_question_version_id_question_versions')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_practice_answers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practice_answers'))
    )
    with op.batch_alter_table('practice_answers', schema=None) as batch_op:
        batch_op.create_index('ix_practice_answers_user_answered', ['user_id', 'answered_at'], unique=False)



def downgrade():
    with op.batch_alter_table('practice_answers', schema=None) as batch_op:
        batch_op.drop_index('ix_practice_answers_user_answered')

    op.drop_table('practice_answers')
    op.drop_table('mock_items')
    with op.batch_alter_table('wrong_book', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wrong_book_user_id'))

    op.drop_table('wrong_book')
    with op.batch_alter_table('mock_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_mock_attempts_user_started')

    op.drop_table('mock_attempts')
    op.drop_table('practice_settings')
