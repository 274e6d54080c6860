"""login throttle and token scopes (issue 11)

The sign-in throttle shared by every host instance (login_throttle), and each token's scope
and windows (apitoken.scope, apitoken.windows). Existing tokens become "full", as they were.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 15:26:27.016105
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_throttle',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_ms', sa.BigInteger(), nullable=False),
    sa.Column('until_ms', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_throttle_last_ms'), ['last_ms'], unique=False)

    with op.batch_alter_table('apitoken', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope', sa.String(length=16), server_default='full', nullable=False))
        batch_op.add_column(sa.Column('windows', sa.JSON(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('apitoken', schema=None) as batch_op:
        batch_op.drop_column('windows')
        batch_op.drop_column('scope')

    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_throttle_last_ms'))

    op.drop_table('login_throttle')
