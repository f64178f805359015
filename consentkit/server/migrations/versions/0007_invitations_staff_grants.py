"""invitations, staff roles per app, incidents per app, audit log by subject

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 05:00:00
"""

from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa
import consentkit.server.db


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'invitations',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('org_id', sa.String(length=32), nullable=False),
        sa.Column('phone_hash', sa.String(length=64), nullable=False),
        sa.Column('phone_hint', sa.String(length=8), nullable=False),
        sa.Column('role', sa.String(length=8), nullable=False),
        sa.Column('invited_by', sa.String(length=32), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('created_at', consentkit.server.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', consentkit.server.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('answered_at', consentkit.server.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['invited_by'], ['users.id'],
            name=op.f('fk_invitations_invited_by_users'), ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['org_id'], ['organizations.id'],
            name=op.f('fk_invitations_org_id_organizations'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations')),
    )
    op.create_index('ix_invitations_phone_hash', 'invitations', ['phone_hash'], unique=False)
    op.create_index(
        'uq_invitations_pending', 'invitations', ['org_id', 'phone_hash'], unique=True,
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        'staff_grants',
        sa.Column('user_id', sa.String(length=32), nullable=False),
        sa.Column('app_id', sa.String(length=64), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('granted_at', consentkit.server.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'],
            name=op.f('fk_staff_grants_user_id_users'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('user_id', 'app_id', name=op.f('pk_staff_grants')),
    )
    # A global role becomes the same role on every app published so far: nobody loses
    # access they had, and each grant can now be seen and revoked app by app.
    conn = op.get_bind()
    apps = [row[0] for row in conn.execute(sa.text('SELECT DISTINCT app_id FROM policy_versions'))]
    staff = conn.execute(sa.text("SELECT id, role FROM users WHERE role <> 'user'")).all()
    grants = sa.table(
        'staff_grants',
        sa.column('user_id', sa.String()),
        sa.column('app_id', sa.String()),
        sa.column('role', sa.String()),
        sa.column('granted_at', consentkit.server.db.UTCDateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    rows = [
        {'user_id': user_id, 'app_id': app_id, 'role': role, 'granted_at': now}
        for user_id, role in staff
        for app_id in apps
    ]
    if rows:
        op.bulk_insert(grants, rows)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('role')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('app_id', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_incidents_app_id'), ['app_id'], unique=False)
    op.create_index('ix_audit_log_subject_action', 'audit_log', ['subject', 'action'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_audit_log_subject_action', table_name='audit_log')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incidents_app_id'))
        batch_op.drop_column('app_id')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('role', sa.String(length=16), nullable=False, server_default='user'))
    conn = op.get_bind()
    # The highest role a person held on any app becomes their global role again.
    for role in ('auditor', 'dpo', 'admin'):
        conn.execute(
            sa.text('UPDATE users SET role = :r WHERE id IN (SELECT user_id FROM staff_grants WHERE role = :r)'),
            {'r': role},
        )
    op.drop_table('staff_grants')
    op.drop_index('uq_invitations_pending', table_name='invitations')
    op.drop_index('ix_invitations_phone_hash', table_name='invitations')
    op.drop_table('invitations')
