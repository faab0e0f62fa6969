"""Shared fixtures. Keep this small: put helpers in tests/support/ and import them here."""

from tests.support.services import password_postgres, postgres_databases, postgres_url

__all__ = ["password_postgres", "postgres_databases", "postgres_url"]
