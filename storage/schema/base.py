"""The one `MetaData` every seamwatch table is defined on (`storage.schema.runs`,
`storage.schema.alerts`), and the column conventions they share.

Conventions (docs/architecture.md, "Tables"): times are integer epoch milliseconds in UTC
(`*_ms`, BigInteger), latencies integer microseconds (`*_us`), statuses and categories small
integer codes (`storage.codes`). Tables are SQLAlchemy Core; Alembic (`storage/migrations`) creates
and alters them, never `create_all`.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()
