"""Database round trips for the `postgres` and `mysql` probe kinds: the config both share
(`spec.py`), the steps of one attempt (`session.py`), the checks on the rows (`rows.py`) and one
driver module per server family (`postgres.py` with psycopg, `mysql.py` with asyncmy), each with
its error classification (docs/architecture.md, Probe kinds)."""
