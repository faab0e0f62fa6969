"""Shared fixtures. Keep this small: put helpers in tests/support/ and import them here."""

from tests.support.services import postgres_databases, postgres_url

__all__ = ["postgres_databases", "postgres_url"]
