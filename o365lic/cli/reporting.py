"""The account manager's commands: prices, renewals, history, alerts, report, export --costs.

:func:`add_parsers` adds them to the command line's parser; :data:`HANDLERS` runs them. Exit
codes keep the README's meanings (0 done, 1 a failure, 2 a configuration or usage error) and
``alerts`` adds 3: there are alerts.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from o365lic import demo, reports
from o365lic.alerts import alerts, alerts_csv, alerts_text
from o365lic.cli.common import organization_option, write_table
from o365lic.cli.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from o365lic.config import Settings
from o365lic.cost_reports import license_costs
from o365lic.costs import costs_csv
from o365lic.history import change_since, history_csv, parse_since
from o365lic.renewals import renewals, renewals_csv
from o365lic.store import Store
from o365lic.store.prices import (
    import_prices,
    install_demo_prices,
    price_list,
    price_list_csv,
)

__all__ = ["EXIT_ALERTS", "HANDLERS", "add_parsers", "export_costs"]

#: ``alerts`` found something to attend to (the other exit codes are in :mod:`o365lic.cli.errors`).
EXIT_ALERTS = 3
Handler = Callable[[argparse.Namespace, Settings, TextIO, TextIO], int]


def add_parsers(commands: argparse._SubParsersAction, export: argparse.ArgumentParser) -> None:
    """Add the commands to ``commands`` and ``--costs`` to the ``export`` command."""
    export.add_argument("--costs", action="store_true",
                        help="the cost CSV: Active, Consumed, Unused with price, monthly cost and unused cost")

    prices = commands.add_parser("prices", help="the price list: monthly price per seat of a SKU")
    actions = prices.add_subparsers(dest="prices_command", metavar="ACTION", required=True)
    imp = actions.add_parser("import", help="save prices from a CSV with the header sku,currency,monthly_price "
                                            "and an optional organization column (bad rows reported by line)")
    imp.add_argument("file", metavar="FILE", type=Path)
    actions.add_parser("list", help="the price list as CSV (it imports back unchanged)")

    ren = commands.add_parser("renewals", help="subscriptions whose next lifecycle date is within N days (CSV)")
    ren.add_argument("--days", type=int, default=30, metavar="N", help="days ahead, from now (default 30)")
    ren.add_argument("--organization", metavar="NAME")

    his = commands.add_parser("history", help="Active and Consumed of each license then and now (CSV)")
    his.add_argument("--since", required=True, metavar="DATE",
                     help="YYYY-MM-DD (00:00 UTC that day) or an ISO 8601 time")
    his.add_argument("--organization", metavar="NAME")

    ale = commands.add_parser("alerts", help="what needs attention; exit 0 when nothing, 3 when there are alerts")
    ale.add_argument("--format", choices=("text", "csv"), default="text")

    rep = commands.add_parser(
        "report", help="the customer report (.html or .pdf), or 'report send' to deliver it or the alerts",
        description="report --organization NAME --out FILE | report --all --out FOLDER | "
                    "report send [--organization NAME | --all] [--alerts] [--to URL ...]")
    rep.add_argument("action", nargs="?", choices=("send",), help="deliver instead of writing a file")
    which = rep.add_mutually_exclusive_group()
    which.add_argument("--organization", metavar="NAME")
    which.add_argument("--all", action="store_true", help="every organization")
    rep.add_argument("--out", type=Path, metavar="FILE|FOLDER")
    rep.add_argument("--alerts", action="store_true", help="send the alerts instead of the report")
    rep.add_argument("--to", action="append", metavar="URL",
                     help="an apprise URL (mailtos://, msteams://, slack://, json://); default O365LIC_NOTIFY_URLS")


def _store(settings: Settings) -> Store:
    store = Store(settings.db_path)
    if settings.demo_mode:
        demo.ensure_demo_tenants(store)
        install_demo_prices(store)
    return store


def export_costs(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    """``export --costs``: the cost CSV, to stdout or ``--out``."""
    store = _store(settings)
    table = license_costs(store, reports.LicenseFilter.of(organization_option(store, args.organization),
                                                          include_free=not args.without_free))
    return write_table(costs_csv(table), len(table), args.out, out, err)


def _cmd_prices(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    store = _store(settings)
    if args.prices_command == "list":
        out.write(price_list_csv(price_list(store)))
        return EXIT_OK
    try:
        text = args.file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: cannot read {args.file}: {exc}", file=err)
        return EXIT_FAILED
    report = import_prices(store, text)
    for line, message in report.errors:
        print(f"error: {args.file}, line {line}: {message}", file=err)
    print(f"{report.saved} prices saved, {len(report.errors)} rows refused", file=out)
    return EXIT_FAILED if report.errors else EXIT_OK


def _cmd_renewals(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    if args.days < 0:
        print("error: --days must be 0 or more", file=err)
        return EXIT_USAGE
    store = _store(settings)
    chosen = organization_option(store, args.organization)
    out.write(renewals_csv(renewals(store, days=args.days, organizations=chosen)))
    return EXIT_OK


def _cmd_history(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    try:
        since = parse_since(args.since)
    except ValueError as exc:
        print(f"error: --since: {exc}", file=err)
        return EXIT_USAGE
    store = _store(settings)
    out.write(history_csv(change_since(store, since, organizations=organization_option(store, args.organization))))
    return EXIT_OK


def _cmd_alerts(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    table = alerts(_store(settings))
    out.write(alerts_csv(table) if args.format == "csv" else alerts_text(table))
    if args.format == "text":
        print(f"{len(table)} alerts" if len(table) else "no alerts", file=err)
    return EXIT_ALERTS if len(table) else EXIT_OK


def _cmd_report(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    from o365lic.report import write_all_reports, write_report

    if args.action == "send":
        return _send(args, settings, out, err)
    if args.alerts or args.to:
        print("error: --alerts and --to belong to 'report send'", file=err)
        return EXIT_USAGE
    if not args.out or not (args.organization or args.all):
        print("error: give --organization NAME --out FILE, or --all --out FOLDER", file=err)
        return EXIT_USAGE
    store = _store(settings)
    if args.all:
        if args.out.suffix.lower() in (".html", ".htm", ".pdf"):
            print("error: with --all, --out names a folder (one report per organization is written in it)", file=err)
            return EXIT_USAGE
        written = write_all_reports(store, args.out)
        for path in written:
            print(f"wrote {path}", file=out)
        print(f"{len(written)} reports written", file=out)
        return EXIT_OK
    path = write_report(store, args.organization, args.out)
    print(f"wrote {path}", file=out)
    return EXIT_OK


def _send(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    from o365lic.notify import (
        NotifyError,
        safe_text,
        send_alerts,
        send_reports,
        split_targets,
    )

    urls = split_targets(args.to) if args.to else split_targets(settings.notify_urls)
    if args.out:
        print("error: 'report send' delivers; it writes no --out file", file=err)
        return EXIT_USAGE
    if not urls:
        print("error: no delivery target: give --to URL or set O365LIC_NOTIFY_URLS", file=err)
        return EXIT_USAGE
    store = _store(settings)
    try:
        if args.alerts:
            count, delivery = send_alerts(store, urls, organization_option(store, args.organization))
            if not count:
                print("no alerts; nothing sent", file=out)
                return EXIT_OK
            print(f"{count} alerts sent to {delivery.sent} of {len(urls)} targets", file=out)
        else:
            names = organization_option(store, args.organization) if args.organization else \
                reports.organization_names(store) if args.all else None
            if not names:
                print("error: give --organization NAME or --all", file=err)
                return EXIT_USAGE
            delivery = send_reports(store, urls, names)
            print(f"{len(names)} reports sent, {delivery.sent} deliveries made", file=out)
    except NotifyError as exc:
        print(f"error: {safe_text(str(exc), urls)}", file=err)
        return EXIT_USAGE
    for target in sorted(set(delivery.failed)):
        print(f"error: delivery to {target} failed", file=err)
    return EXIT_FAILED if delivery.failed else EXIT_OK


HANDLERS: dict[str, Handler] = {
    "prices": _cmd_prices, "renewals": _cmd_renewals, "history": _cmd_history,
    "alerts": _cmd_alerts, "report": _cmd_report,
}
