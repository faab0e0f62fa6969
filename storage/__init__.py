"""Storage: every table and the database they live in.

`database` (Store, open_store, migrations), `schema/` (every table, one metadata), `ingest/`
(the batched result writer and the catalog), `rollups/` (hourly rollups: format, write, read),
`reads/` (read models for `seamwatch status` and the dashboard), `retention` (deletes what has
expired), `upkeep` (rollups then retention, run by `seamwatch serve`), `codes` (stored codes and
time conversions), `spec` (the `storage:` config block). docs/architecture.md, "Tables".
"""
