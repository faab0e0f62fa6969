"""The OAuth test server and fake clock of tests/probes/auth/, for the `auth` kind's tests."""

from tests.probes.auth.conftest import cc, client, clock, oauth, server, token_url

__all__ = ["cc", "client", "clock", "oauth", "server", "token_url"]
