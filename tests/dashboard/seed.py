"""The dashboard tests' config: the seeded integrations (`tests.storage.seed`) with canary secrets
in every secret slot, which must never reach a page."""

from __future__ import annotations

from pathlib import Path

CANARY = "canary-Secret-7f3a9c"  # must never reach a page


def write_config(path: Path, db_url: str, *, secret: str = CANARY) -> Path:
    """A config naming the seeded integrations, with canary secrets in every secret slot."""
    path.write_text(f"""
storage:
  url: {db_url}
email:
  smtp: {{host: 127.0.0.1, port: 2525, security: none, username: alerts, password: "{secret}-smtp",
          allow_plaintext_auth: true}}
  from: "seamwatch <alerts@example.com>"
  to: [oncall@example.com]
integrations:
  - name: payments
    description: Payment provider REST API
    tags: [billing, prod]
    base_url: http://127.0.0.1:9
    headers: {{X-Api-Key: "{secret}-header"}}
    auth:
      type: oauth2_client_credentials
      token_url: http://127.0.0.1:9/oauth/token
      client_id: seamwatch
      client_secret: "{secret}"
    alerts: {{min_rate_limit_headroom: 0.2}}
    probes:
      - name: list-charges
        steps: [{{name: list, path: /v1/charges}}, {{name: fetch, path: /v1/charges/1}}]
      - {{name: api-certificate, type: tls, host: 127.0.0.1}}
  - name: crm
    tags: [prod]
    base_url: http://127.0.0.1:9
    auth: {{type: bearer, token: "{secret}-bearer"}}
    probes:
      - name: contacts
        steps: [{{name: list, path: /contacts}}]
  - name: newbie
    base_url: http://127.0.0.1:9
    probes:
      - name: fresh
        steps: [{{name: ping, path: /}}]
""", encoding="utf-8")
    return path
