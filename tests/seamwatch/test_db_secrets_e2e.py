"""Canary database passwords (from `${…}`, literal in a `dsn`, echoed back by the server in a
query result) never reach `once` output, the logs or the database, through the real command line
against real PostgreSQL (a throwaway cluster with password auth) and MariaDB."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from tests.support.cli import run_cli
from tests.support.services import PasswordPostgres

CANARIES = {
    "WRONG_PG": "canary-e2e-wrongpg-71c3d9",
    "WRONG_MY": "canary-e2e-wrongmy-0a5f2e",
}
LITERAL = "canary-e2e-literal-dsn-9be4"


def _assert_clean(where: str, data: bytes, secrets: list[str]) -> None:
    for secret in secrets:
        for form in (secret.encode(), base64.b64encode(secret.encode()).rstrip(b"=")):
            assert form not in data, f"{secret} leaked into {where}"


def test_database_passwords_never_leak(tmp_path: Path,
                                       password_postgres: PasswordPostgres) -> None:
    port = password_postgres.port
    config = tmp_path / "seamwatch.yaml"
    config.write_text(f"""
storage: {{url: "sqlite:///runs.db"}}
runner: {{listen: null}}
defaults: {{retries: 0, timeout: 5s}}
integrations:
  - name: databases
    probes:
      - {{name: pg-wrong, type: postgres, host: 127.0.0.1, port: {port}, user: postgres,
          password: "${{WRONG_PG}}", database: postgres}}
      - name: pg-dsn-wrong
        type: postgres
        dsn: postgresql://postgres:{LITERAL}@127.0.0.1:{port}/postgres
      - name: pg-echo
        type: postgres
        host: 127.0.0.1
        port: {port}
        user: postgres
        password: "${{PG_PASSWORD}}"
        database: postgres
        query: SELECT '${{PG_PASSWORD}}' AS echoed
        expect: {{value: {{equals: something else}}}}
      - {{name: my-wrong, type: mysql, host: 127.0.0.1, user: root, password: "${{WRONG_MY}}",
          database: test}}
""")
    env = {**CANARIES, "PG_PASSWORD": password_postgres.password}
    once = run_cli(["--log-level", "DEBUG", "once", "-c", str(config), "--json"], env=env)
    assert once.returncode == 1, once.stderr
    results = {r["probe"]: r for r in json.loads(once.stdout)}
    assert {name: (r["category"], r["reason"]) for name, r in results.items()} == {
        "pg-wrong": ("auth", "invalid_password"),
        "pg-dsn-wrong": ("auth", "invalid_password"),
        "pg-echo": ("assertion", "value_mismatch"),
        "my-wrong": ("auth", "access_denied"),
    }
    assert "***" in results["pg-echo"]["message"]  # the echoed password was masked, not dropped
    table = run_cli(["once", "-c", str(config)], env=env)
    check = run_cli(["check", "-c", str(config)], env=env)

    secrets = [*CANARIES.values(), LITERAL, password_postgres.password]
    for where, text in {"once --json": once.stdout + once.stderr,
                        "once table": table.stdout + table.stderr,
                        "check": check.stdout + check.stderr}.items():
        _assert_clean(where, text.encode(), secrets)
    stored = list(tmp_path.glob("runs.db*"))
    assert stored
    for file in stored:
        _assert_clean(file.name, file.read_bytes(), secrets)
