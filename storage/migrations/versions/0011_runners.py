"""several runners on one database: the `runners` registry, a revision counter on alert states
(so a runner re-reads only what others changed), each location's latest run per alert state
(quorum alerts) and a sending lease on outbox rows

Revision ID: 0011_runners
Revises: 0010_expiries
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_runners"
down_revision = "0010_expiries"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runners",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("location", sa.String(200), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("started_ms", sa.BigInteger, nullable=False),
        sa.Column("heartbeat_ms", sa.BigInteger, nullable=False),
        sa.Column("stopped_ms", sa.BigInteger, nullable=True),
        sa.Column("probes_owned", sa.Integer, nullable=False, server_default="0"),
        sa.Column("probes_total", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_runners_location_heartbeat", "runners", ["location", "heartbeat_ms"])
    with op.batch_alter_table("alert_states") as batch:
        batch.add_column(sa.Column("rev", sa.BigInteger, nullable=False, server_default="0"))
        batch.add_column(sa.Column("locations", sa.JSON, nullable=False,
                                   server_default=sa.text("'{}'")))
    op.create_index("ix_alert_states_rev", "alert_states", ["rev"])
    with op.batch_alter_table("alert_outbox") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(64), nullable=True))
        batch.add_column(sa.Column("lease_until_ms", sa.BigInteger, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alert_outbox") as batch:
        batch.drop_column("lease_until_ms")
        batch.drop_column("claimed_by")
    op.drop_index("ix_alert_states_rev", table_name="alert_states")
    with op.batch_alter_table("alert_states") as batch:
        batch.drop_column("locations")
        batch.drop_column("rev")
    op.drop_index("ix_runners_location_heartbeat", table_name="runners")
    op.drop_table("runners")
