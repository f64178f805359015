"""chain heads and positions: one serialization point per hash chain

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 04:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'chain_heads',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_chain_heads')),
    )
    with op.batch_alter_table('consent_receipts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('position', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('position', sa.Integer(), nullable=True))

    # Number the existing audit log in the order it was written, and start its head there.
    conn = op.get_bind()
    conn.execute(
        sa.text(
            'UPDATE audit_log SET position ='
            ' (SELECT count(*) FROM audit_log AS earlier WHERE earlier.id <= audit_log.id)'
        )
    )
    last = conn.execute(sa.text('SELECT position, hash FROM audit_log ORDER BY id DESC LIMIT 1')).first()
    if last is not None:
        # The head, and where the entries numbered here end: before this revision two
        # workers could append after the same entry, which verify tolerates up to there.
        for name in ('audit', 'audit.legacy'):
            conn.execute(
                sa.text('INSERT INTO chain_heads (name, position, hash) VALUES (:n, :p, :h)'),
                {'n': name, 'p': last[0], 'h': last[1]},
            )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.alter_column('position', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_log_position'), ['position'])


def downgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_log_position'), type_='unique')
        batch_op.drop_column('position')
    with op.batch_alter_table('consent_receipts', schema=None) as batch_op:
        batch_op.drop_column('position')
    op.drop_table('chain_heads')
