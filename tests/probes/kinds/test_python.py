"""The python probe kind: a module beside the config file, sync and async functions, the context
they receive, ProbeFailure categories, unexpected exceptions, and `callable` checks at load."""

from __future__ import annotations

import logging
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from probes.kinds.python import PythonProbe
from probes.result import Category, RunStatus
from probes.run import run_probe
from seamwatch.config import ConfigError, load_config
from tests.probes.conftest import MakeRuntime, StaticBearer, policy

SECRET = "py-s3cret-token"

MODULE = '''
import asyncio
import probes
from probes import ProbeFailure

seen = []

def sync_ok(ctx, greeting="hi"):
    seen.append(("sync", ctx.integration, ctx.probe, ctx.base_url, greeting, ctx.timeout_s))
    ctx.logger.info("checked with %s", greeting)

async def async_ok(ctx, **args):
    await asyncio.sleep(0)
    seen.append(("async", args, await ctx.credential_headers()))

def sync_credential(ctx):
    seen.append(("sync-credential", ctx.wait(ctx.credential_headers())))

def fails(ctx, category, reason, message):
    raise ProbeFailure(category, reason, message)

async def fails_with_enum(ctx):
    raise ProbeFailure(probes.result.Category.RATE_LIMITED, "quota", "SDK quota exhausted")

def crashes(ctx, token):
    raise KeyError(f"no such customer for {token}")

async def refused(ctx):
    raise ConnectionRefusedError(111, "Connection refused")

def logs_secret(ctx, token):
    ctx.logger.warning("calling the SDK with %s", token)

NOT_CALLABLE = 42
'''


@pytest.fixture
def module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A uniquely named probe module beside the config (removed from sys.modules afterwards)."""
    name = f"sdk_checks_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(MODULE)
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield name
    sys.modules.pop(name, None)


def _config(folder: Path, probes_yaml: str) -> Path:
    path = folder / "seamwatch.yaml"
    path.write_text(textwrap.dedent("""\
        integrations:
          - name: crm
            base_url: https://crm.example
            probes:
        """) + textwrap.indent(textwrap.dedent(probes_yaml), "      "))
    return path


def _probe(module: str, function: str, **options: Any) -> PythonProbe:
    return PythonProbe.model_validate({"name": "sdk", "type": "python", "retries": 0,
                                       "callable": f"{module}:{function}", **options})


async def test_sync_and_async_functions_from_a_module_beside_the_config(
    tmp_path: Path, module: str, make_rt: MakeRuntime, caplog: pytest.LogCaptureFixture
) -> None:
    config = load_config(_config(tmp_path, f"""\
        - {{name: sync, type: python, callable: "{module}:sync_ok", args: {{greeting: hello}}}}
        - {{name: async, type: python, callable: "{module}:async_ok", args: {{limit: 1}}}}
    """), environ={})
    rt = make_rt("https://crm.example", base_dir=tmp_path, credentials=StaticBearer("tok-1"))
    caplog.set_level(logging.INFO)
    results = [await run_probe(rt, entry.probe, entry.policy) for entry in config.entries]
    assert [r.status for r in results] == [RunStatus.OK, RunStatus.OK], results
    assert [r.steps[0].name for r in results] == ["call", "call"]
    seen = sys.modules[module].seen
    assert seen[0] == ("sync", "it", "sync", "https://crm.example", "hello", 10.0)
    assert seen[1] == ("async", {"limit": 1}, {"Authorization": "Bearer tok-1"})
    assert any(r.name == "seamwatch.probe.it.sync" and r.getMessage() == "checked with hello"
               for r in caplog.records)


async def test_sync_function_can_use_the_async_helpers(module: str, tmp_path: Path,
                                                       make_rt: MakeRuntime) -> None:
    rt = make_rt(base_dir=tmp_path, credentials=StaticBearer("tok-2"))
    probe = _probe(module, "sync_credential")
    result = await run_probe(rt, probe, policy(probe))
    assert result.status is RunStatus.OK, result.message
    assert sys.modules[module].seen == [("sync-credential", {"Authorization": "Bearer tok-2"})]


@pytest.mark.parametrize(("category", "reason", "expected"), [
    ("auth", "token_revoked", (Category.AUTH, "token_revoked")),
    ("assertion", "Balance Mismatch!", (Category.ASSERTION, "balance_mismatch")),
    ("server_error", "sdk_5xx", (Category.SERVER_ERROR, "sdk_5xx")),
    ("config", "bad_account", (Category.CONFIG, "bad_account")),
    ("meltdown", "x", (Category.INTERNAL, "invalid_category")),
])
async def test_probe_failure_categories(module: str, tmp_path: Path, make_rt: MakeRuntime,
                                        category: str, reason: str,
                                        expected: tuple[Category, str]) -> None:
    rt = make_rt(base_dir=tmp_path, secrets=(SECRET,))
    probe = _probe(module, "fails", args={"category": category, "reason": reason,
                                          "message": f"the SDK said {SECRET}"})
    result = await run_probe(rt, probe, policy(probe))
    assert result.status is RunStatus.FAILED
    assert (result.category, result.reason) == expected
    assert result.failed_step == "call"
    assert result.message is not None and SECRET not in result.message
    assert "the SDK said ***" in result.message


async def test_probe_failure_with_a_category_member_is_retried(module: str, tmp_path: Path,
                                                               make_rt: MakeRuntime) -> None:
    probe = _probe(module, "fails_with_enum", retries=1, timeout="30s")
    result = await run_probe(make_rt(base_dir=tmp_path), probe, policy(probe), sleep=_no_wait)
    assert (result.category, result.reason, result.message) == (
        Category.RATE_LIMITED, "quota", "SDK quota exhausted")
    assert result.attempts == 2


async def _no_wait(seconds: float) -> None:
    return None


async def test_unexpected_exception_is_internal_with_type_place_and_redacted_message(
    module: str, tmp_path: Path, make_rt: MakeRuntime
) -> None:
    rt = make_rt(base_dir=tmp_path, secrets=(SECRET,))
    probe = _probe(module, "crashes", retries=3, args={"token": SECRET})
    result = await run_probe(rt, probe, policy(probe))
    assert (result.category, result.reason) == (Category.INTERNAL, "python_exception")
    assert result.attempts == 1  # internal failures are not retried
    assert result.message is not None and SECRET not in result.message
    assert result.message.startswith("probe function raised KeyError: 'no such customer for ***'")
    assert f"(at {module}.py:" in result.message


async def test_transport_errors_keep_their_category(module: str, tmp_path: Path,
                                                    make_rt: MakeRuntime) -> None:
    probe = _probe(module, "refused")
    result = await run_probe(make_rt(base_dir=tmp_path), probe, policy(probe))
    assert (result.category, result.reason) == (Category.CONNECTION, "refused")


async def test_logger_redacts_secrets(module: str, tmp_path: Path, make_rt: MakeRuntime,
                                      caplog: pytest.LogCaptureFixture) -> None:
    rt = make_rt(base_dir=tmp_path, secrets=(SECRET,))
    probe = _probe(module, "logs_secret", args={"token": SECRET})
    result = await run_probe(rt, probe, policy(probe))
    assert result.status is RunStatus.OK
    assert "calling the SDK with ***" in caplog.text and SECRET not in caplog.text


async def test_callable_gone_at_run_time_is_a_config_failure(tmp_path: Path,
                                                             make_rt: MakeRuntime) -> None:
    probe = _probe("no_such_sdk_module", "check")
    result = await run_probe(make_rt(base_dir=tmp_path), probe, policy(probe))
    assert (result.category, result.reason) == (Category.CONFIG, "callable_unavailable")


@pytest.mark.parametrize(("function", "message"), [
    ("missing", "has no attribute `missing`"),
    ("NOT_CALLABLE", "is not callable (it is int)"),
])
def test_callable_problems_are_config_errors_at_its_line(tmp_path: Path, module: str,
                                                         function: str, message: str) -> None:
    path = _config(tmp_path, f"""\
        - name: sdk
          type: python
          callable: {module}:{function}
    """)
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    (problem,) = caught.value.problems
    assert (problem.line, problem.col, problem.path) == (7, 19, "integrations[crm].probes[sdk]"
                                                         ".callable")
    assert message in problem.message


def test_module_that_fails_to_import_is_a_config_error(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    name = f"broken_sdk_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text("import no_such_dependency_xyz\n")
    path = _config(tmp_path, f"- {{name: sdk, type: python, callable: '{name}:check'}}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert f"importing `{name}` failed: ModuleNotFoundError" in str(caught.value)


def test_malformed_callable_is_rejected_by_the_model() -> None:
    with pytest.raises(ValueError, match=r"expected `package\.module:function`"):
        PythonProbe.model_validate({"name": "sdk", "type": "python", "callable": "a.b.c"})
