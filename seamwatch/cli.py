"""The `seamwatch` command line (README, "Command line").

Every user-facing error is a `core.errors.SeamwatchError` (docs/architecture.md, "Errors"),
caught once in `main`: one line (a config error: one line per problem) and a documented exit
code: 0 ok, 1 a probe failed / an alert is firing / the test email or test notice was not
delivered / no drifted shape to accept, 2 invalid config or usage (or no such channel, or no
baseline matches)."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from core.errors import SeamwatchError
from core.redact import Redactor
from seamwatch.config import (
    Config,
    ConfigError,
    config_json_schema,
    load_config,
    migration_notes,
    resolve_config_path,
    summarize,
)
from seamwatch.errors import UserError
from seamwatch.logs import setup_logging

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seamwatch", description="Integration health monitor: probes, history, alerts.",
    )
    parser.add_argument("--log-level", default="INFO",
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_config(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("-c", "--config", metavar="FILE",
                       help="config file (default: $SEAMWATCH_CONFIG or ./seamwatch.yaml)")
        return p

    with_config(sub.add_parser("check", help="validate the config file"))
    init = sub.add_parser("init", help="write a starting config from an OpenAPI document")
    init.add_argument("--from-openapi", required=True, metavar="SPEC",
                      help="OpenAPI 3.0/3.1 document (YAML or JSON file)")
    init.add_argument("--base-url", metavar="URL", help="the API's URL (default: servers[0])")
    init.add_argument("--output", "-o", default="seamwatch.yaml", metavar="FILE",
                      help="config file to write (default seamwatch.yaml; - for stdout)")
    init.add_argument("--force", action="store_true", help="overwrite an existing --output")
    sub.add_parser("schema", help="print the config file's JSON Schema (for editors)")
    once = with_config(sub.add_parser("once", help="run probes now, store and print results"))
    once.add_argument("--probe", action="append", default=[], metavar="INTEGRATION/PROBE",
                      help="run only this probe (repeatable; INTEGRATION alone runs all of it)")
    once.add_argument("--json", action="store_true", help="print results as JSON")
    once.add_argument("--junit", metavar="FILE", help="also write a JUnit XML report")
    once.add_argument("--no-store", action="store_true", help="do not record the results")
    with_config(sub.add_parser("serve", help="run probes on schedule until SIGTERM/SIGINT"))
    up = with_config(sub.add_parser("up", help="serve and the dashboard together"))
    up.add_argument("--host", default="127.0.0.1", help="dashboard address (default 127.0.0.1)")
    up.add_argument("--port", type=int, default=8501, help="dashboard port (default 8501)")
    demo = sub.add_parser("demo", help="a live demo: sandbox API, mail catcher, serve, dashboard")
    demo.add_argument("--data", default="data", help="folder for the database and caught mail")
    demo.add_argument("--port", type=int, default=8501, help="dashboard port (default 8501)")
    demo.add_argument("--api-port", type=int, default=8765, help="sandbox API port (8765)")
    demo.add_argument("--smtp-port", type=int, default=8025, help="mail catcher port (8025)")
    demo.add_argument("--listen-port", type=int, default=9465,
                      help="/healthz and /metrics port (9465)")
    with_config(sub.add_parser("test-email",
                               help="send one message through the configured SMTP server"))
    test_channel = with_config(sub.add_parser(
        "test-channel", help="send one test notice through a configured alert channel"))
    test_channel.add_argument("name", metavar="NAME", help="the channel's name under channels:")
    status = with_config(sub.add_parser("status", help="each probe's state and recent figures"))
    status.add_argument("--json", action="store_true", help="print as JSON")
    report = with_config(sub.add_parser(
        "report", help="per integration over a period: SLO attainment, incidents, latency"))
    report.add_argument("--period", default="30d", help="how far back (default 30d)")
    report.add_argument("--format", choices=("text", "json", "csv"), default="text",
                        help="output format (default text)")
    status.add_argument("--runners", action="store_true",
                        help="list the runners only (location, heartbeat, probes owned)")
    dash = with_config(sub.add_parser("dashboard", help="the Streamlit dashboard"))
    dash.add_argument("--port", type=int, default=8501, help="port to listen on (default 8501)")
    dash.add_argument("--host", default="127.0.0.1",
                      help="address to bind (default 127.0.0.1; 0.0.0.0 exposes it)")
    dash.add_argument("--mailbox", metavar="DIR",
                      help="a demo mail catcher's folder, shown on the Notifications page")
    base = with_config(sub.add_parser(
        "baseline", help="learned response shapes: list, show, accept a drift, reset"))
    base.add_argument("action", choices=["list", "show", "accept", "reset"])
    base.add_argument("selector", nargs="?", metavar="INTEGRATION[/PROBE[/STEP]]",
                      help="which baselines (required for accept and reset)")
    base.add_argument("--json", action="store_true", help="print list or show as JSON")
    return parser


def _load(args: argparse.Namespace) -> Config:
    return load_config(resolve_config_path(args.config))


def _secrets_redactor(config: Config | None = None) -> Redactor:
    return Redactor(config.secrets if config else ())


# Each command imports the modules it runs inside its function: they pull in heavy third-party
# trees (httpx, SQLAlchemy, aiosmtplib, uvicorn, Streamlit's launcher) that `check` and `schema`
# do not need. These imports defer start-up cost only; none of them hides a cycle.


def cmd_check(args: argparse.Namespace) -> int:
    config = _load(args)
    print(f"{config.path}: ok")
    print(summarize(config))
    for note in migration_notes(config):
        print(note)
    return EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    from seamwatch.init_openapi import init_from_openapi

    output = None if args.output == "-" else Path(args.output)
    summary = init_from_openapi(Path(args.from_openapi), output, args.base_url, args.force)
    print(summary, file=sys.stderr if output is None else sys.stdout)
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    print(json.dumps(config_json_schema(), indent=2))
    return EXIT_OK


def cmd_once(args: argparse.Namespace) -> int:
    from seamwatch.once import run_once, select_entries
    from seamwatch.report import results_json, results_junit, results_table

    config = _load(args)
    redactor = _secrets_redactor(config)
    setup_logging(redactor, args.log_level if args.log_level != "INFO" else "WARNING")
    entries = select_entries(config, args.probe)
    results = asyncio.run(run_once(config, entries, redactor, store_results=not args.no_store))
    print(results_json(results) if args.json else results_table(results))
    if args.junit:
        Path(args.junit).write_bytes(results_junit(results))
    return EXIT_FAILED if any(r.status == "failed" for r in results) else EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from seamwatch.serve import serve

    config = _load(args)
    redactor = _secrets_redactor(config)
    setup_logging(redactor, args.log_level)
    asyncio.run(serve(config, redactor))
    return EXIT_OK


class NoEmailConfigured(UserError):
    exit_code = EXIT_INVALID


class EmailNotDelivered(UserError):
    exit_code = EXIT_FAILED


def cmd_test_email(args: argparse.Namespace) -> int:
    from seamwatch.emailcheck import EmailDeliveryError, send_test_email

    config = _load(args)
    if config.email is None:
        raise NoEmailConfigured(f"{config.path}: no `email:` block to test (for a channel under "
                                "`channels:`, use `seamwatch test-channel NAME`)")
    try:
        print(asyncio.run(send_test_email(config.email, _secrets_redactor(config))))
    except EmailDeliveryError as exc:
        raise EmailNotDelivered(f"test email not delivered: {exc}") from None
    return EXIT_OK


class NoSuchChannel(UserError):
    exit_code = EXIT_INVALID


class NoticeNotDelivered(UserError):
    exit_code = EXIT_FAILED


def cmd_test_channel(args: argparse.Namespace) -> int:
    from seamwatch.channelcheck import DeliveryError, send_test_notice

    config = _load(args)
    channels = config.alerting.channels
    if args.name not in channels:
        known = ", ".join(channels) or "none"
        raise NoSuchChannel(f"{config.path}: no channel named `{args.name}` (channels: {known})")
    try:
        print(asyncio.run(send_test_notice(config.alerting, args.name,
                                           _secrets_redactor(config))))
    except DeliveryError as exc:
        raise NoticeNotDelivered(f"test notice to channel {args.name} not delivered: {exc}") \
            from None
    return EXIT_OK


def cmd_up(args: argparse.Namespace) -> int:
    from seamwatch.up import run_up

    config = _load(args)
    redactor = _secrets_redactor(config)
    setup_logging(redactor, args.log_level)
    asyncio.run(run_up(config, redactor, host=args.host, port=args.port))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from seamwatch.demo.command import DemoPorts, run_demo

    redactor = Redactor()
    setup_logging(redactor, args.log_level)
    ports = DemoPorts(args.port, args.api_port, args.smtp_port, args.listen_port)
    asyncio.run(run_demo(Path(args.data), ports, redactor))  # a port in use: PortInUseError
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from seamwatch.status import print_status

    config = _load(args)
    return print_status(config, as_json=args.json, only_runners=args.runners)


def cmd_report(args: argparse.Namespace) -> int:
    from seamwatch.period_report import print_report

    return print_report(_load(args), args.period, args.format)


def cmd_dashboard(args: argparse.Namespace) -> int:
    from seamwatch.dashboard_cmd import run_dashboard

    config = _load(args)
    return run_dashboard(config.path, host=args.host, port=args.port, mailbox=args.mailbox)


def cmd_baseline(args: argparse.Namespace) -> int:
    from seamwatch.baseline_cmd import run_baseline

    return run_baseline(_load(args), args.action, args.selector, as_json=args.json)


COMMANDS = {
    "check": cmd_check, "init": cmd_init, "schema": cmd_schema, "once": cmd_once,
    "serve": cmd_serve, "status": cmd_status, "test-email": cmd_test_email,
    "test-channel": cmd_test_channel, "dashboard": cmd_dashboard, "up": cmd_up, "demo": cmd_demo,
    "baseline": cmd_baseline, "report": cmd_report,
}


def main(argv: Sequence[str] | None = None) -> int:
    # Piped into `head`: stop quietly like other Unix tools instead of a BrokenPipeError.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except SeamwatchError as exc:
        # A ConfigError is already `FILE:LINE:COL: ...` lines; any other gets the program's name.
        print(str(exc) if isinstance(exc, ConfigError) else f"seamwatch: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
