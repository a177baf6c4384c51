"""``python -m o365lic tenants ...``: connect, import, list, discover, match, pause, resume
and set the interval of tenants. Errors are raised (worded in :mod:`o365lic.cli.errors`)."""

from __future__ import annotations

import argparse
from typing import TextIO

from o365lic.cli.common import close_interrupted_runs, open_store, runtime_settings, tenant_ids, terminal_name, utc_text
from o365lic.cli.errors import EXIT_FAILED, EXIT_OK, CliError, one_line, os_reason
from o365lic.cli.output import cli_actor
from o365lic.config import Settings
from o365lic.graph import GraphError, resolve_tenant_id, validate_tenant_input
from o365lic.store import (
    accept_suggested_matches,
    add_discovered_tenants,
    add_integration,
    create_organizations_for,
    ignore_tenants,
    last_warnings,
    list_integrations,
    match_tenants,
    revert_matches,
    suggestions,
    update_integration,
)
from o365lic.store.integrations import organization_name
from o365lic.tenants import discover_tenants, import_tenants
from o365lic.text import clean_name

__all__ = ["tenants_command"]


def tenants_command(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    store = open_store(settings)
    actor = cli_actor()
    if args.tenants_command == "add":
        organization_name(args.organization)  # a blank name is refused before asking Microsoft
        value = validate_tenant_input(args.tenant)
        runtime = runtime_settings(settings, store)
        try:
            tenant_id = resolve_tenant_id(runtime, value)
        except GraphError as exc:
            raise CliError(f"{value}: {exc.message}") from None
        integration = add_integration(store, tenant_id, args.organization,
                                      default_domain=None if tenant_id == value else value, actor=actor)
        print(f"connected {integration.tenant_id} to {terminal_name(integration.organization)}", file=out)
        return EXIT_OK
    runtime = runtime_settings(settings, store)
    if args.tenants_command in ("pause", "resume", "interval", "match"):
        args.tenants = tenant_ids(store, settings, args.tenants)
    if args.tenants_command == "import":
        try:
            text = args.file.read_text(encoding="utf-8")
        except OSError as exc:
            raise CliError(f"cannot read {args.file}: {os_reason(exc)}") from None
        except UnicodeDecodeError:
            raise CliError(f"cannot read {args.file}: it is not UTF-8 text") from None
        report = import_tenants(store, runtime, text, actor=actor)
        for integration in report.added:
            print(f"connected {integration.tenant_id} to {terminal_name(integration.organization)}", file=out)
        for line, message in report.errors:
            print(f"error: {args.file}, line {line}: {one_line(message)}", file=err)
        print(f"{len(report.added)} tenants added, {len(report.errors)} rows refused", file=out)
        return EXIT_FAILED if report.errors else EXIT_OK
    if args.tenants_command == "list":
        close_interrupted_runs(store)
        rows = list_integrations(store)
        warnings = last_warnings(store)
        if not rows:
            print("no tenants connected; add one with: "
                  "python -m o365lic tenants add TENANT --organization NAME", file=out)
            return EXIT_OK
        print(f"{'ORGANIZATION':30} {'TENANT ID':36} {'MATCH':9} {'STATUS':12} {'LAST SYNC (UTC)':19} "
              "SYNC LICENSES  INTERVAL", file=out)
        for i in rows:
            who = i.organization or (f"({i.tenant_name or i.default_domain})"
                                     if i.tenant_name or i.default_domain else None)
            print(f"{terminal_name(who, 30):30} {i.tenant_id:36} {i.match_state:9} {i.status:12} "
                  f"{utc_text(i.last_sync_at):19} {'yes' if i.sync_licenses else 'no':14} "
                  f"{i.sync_interval_minutes} min", file=out)
            if i.last_error and i.status == "Error":
                print(f"    last error: {clean_name(one_line(i.last_error), 4000)}", file=out)  # whole: support ids
            if warnings.get(i.tenant_id) and i.status != "Error":
                print(f"    warning: {clean_name(one_line(warnings[i.tenant_id]), 4000)}", file=out)
        return EXIT_OK
    if args.tenants_command == "discover":
        found = discover_tenants(runtime)
        added = dict(add_discovered_tenants(store, found, actor=actor))
        suggested = suggestions(store)
        for tenant in found:
            tenant_id = tenant["tenant_id"]
            state = added.get(tenant_id, "known")
            hint = f"  suggested: {terminal_name(suggested[tenant_id].organization)} ({suggested[tenant_id].reason})" \
                if tenant_id in suggested else ""
            print(f"{terminal_name(tenant_id)}  {state:9} {terminal_name(tenant['domain']):40} "
                  f"{terminal_name(tenant['name'])}{hint}", file=out)
        print(f"{len(found)} customer tenants, {len(added)} new", file=out)
        return EXIT_OK
    if args.tenants_command == "match":
        if args.accept:
            changed = accept_suggested_matches(store, args.tenants, actor=actor)
        elif args.to:
            changed = match_tenants(store, args.tenants, args.to, actor=actor)
        elif args.create:
            changed = create_organizations_for(store, args.tenants, actor=actor)
        elif args.ignore:
            changed = ignore_tenants(store, args.tenants, actor=actor)
        else:
            changed = revert_matches(store, args.tenants, actor=actor)
        print(f"{changed} tenants changed", file=out)
        return EXIT_OK
    for tenant in args.tenants:
        if args.tenants_command == "interval":
            update_integration(store, tenant, sync_interval_minutes=args.minutes, actor=actor)
        else:
            update_integration(store, tenant, paused=args.tenants_command == "pause", actor=actor)
    print(f"{len(args.tenants)} tenants changed", file=out)
    return EXIT_OK
