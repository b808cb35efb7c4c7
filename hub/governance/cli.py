"""``hub erase``: the command-line side of erasure (the work is ``hub.governance.erase``)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from hub.config import settings
from hub.governance.suppression import SuppressionError


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("erase", help="erase a person or a customer from every layer (right to erasure); "
                                          "needs HUB_ERASURE_SALT")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--email", metavar="ADDRESS", help="a person, by email address")
    who.add_argument("--contact-id", metavar="ID", help="a person, by analytics.contacts contact_id")
    who.add_argument("--source-record", metavar="SOURCE:OBJECT:ID", help="a person, by a source record "
                     "(hubspot:contacts:123, salesforce:contacts:003..., airtable:applications:rec...)")
    who.add_argument("--customer-id", metavar="ID", help="a customer (company) with its people, deals, usage...")
    p.add_argument("--dry-run", action="store_true", help="list what would change, change nothing")
    p.add_argument("--propagate", action="store_true",
                   help="also delete the person in the sources: HubSpot GDPR delete, Salesforce Contact delete, "
                        "Airtable contact cells cleared (off by default; docs/governance.md)")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=erase_command)


def erase_command(args: argparse.Namespace) -> int:
    from hub.governance.erase import erase
    from hub.governance.subject import Subject, resolve_customer, resolve_person
    from hub.warehouse import Warehouse

    s = settings()
    warehouse = Warehouse(s.warehouse_url)
    warehouse.migrate()
    if args.customer_id:
        subject = resolve_customer(warehouse, Subject("customer_id"), args.customer_id)
        named = f"customer {args.customer_id}"
    elif args.contact_id:
        subject = resolve_person(warehouse, Subject("contact_id"), contact_ids={args.contact_id})
        named = f"contact {args.contact_id}"
    elif args.source_record:
        if args.source_record.count(":") < 2:
            raise SystemExit("hub erase: --source-record is SOURCE:OBJECT:ID, e.g. hubspot:contacts:123")
        subject = resolve_person(warehouse, Subject("source_record"), records={args.source_record})
        named = f"record {args.source_record}"
    else:
        subject = resolve_person(warehouse, Subject("email"), emails={args.email})
        named = "this address"
    if not subject.found():
        if args.propagate and args.source_record:  # already gone here: only the source is left to ask
            subject.own_records.add(args.source_record)
            return _propagate(warehouse, subject, "retry", dry_run=args.dry_run)
        print(f"hub erase: the warehouse holds nothing for {named}", file=sys.stderr)
        return 1
    if not (args.yes or args.dry_run):
        answer = input(f"erase {named} from every layer of {warehouse.describe()}? This cannot be undone [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing erased")
            return 1
    try:
        result = erase(warehouse, subject, dry_run=args.dry_run, home=s.home)
    except SuppressionError as exc:
        print(f"hub erase: {exc}", file=sys.stderr)
        return 2
    verb = "would change" if args.dry_run else "changed"
    print(f"erasure {result.erasure_id}{' (dry run: nothing changed)' if args.dry_run else ''}: {verb}")
    for change in result.touched:
        print(f"  {change.line()}")
    if not args.dry_run:
        print(f"  raw.erasure_suppressions: {result.suppressed} identities suppressed (salted hashes); the next "
              "sync will not land them and reports any the sources still hold")
    if args.propagate:
        return _propagate(warehouse, subject, result.erasure_id, dry_run=args.dry_run)
    return 0


def _propagate(warehouse: Any, subject: Any, erasure_id: str, *, dry_run: bool) -> int:
    """The sources' side of the erasure; 3 when a source refused (the warehouse erasure stands)."""
    import dagster as dg

    from assets.playbooks import crms
    from hub.config import current_config
    from hub.definitions import build_resources
    from hub.governance import audit
    from hub.governance.propagate import propagate

    config = current_config()
    wanted = {k: v for k, v in build_resources().items() if k in ("airtable", "hubspot", "salesforce")}
    with dg.build_resources(wanted) as built:  # resolves the secrets' EnvVars, as a run does
        outcomes = propagate(subject, config, crms(config, built.airtable, built.hubspot, built.salesforce),
                             dry_run=dry_run)
    print(f"in the sources{' (dry run: nothing sent)' if dry_run else ''}:" if outcomes
          else "in the sources: no person record to delete")
    for outcome in outcomes:
        print(f"  {outcome.line()}")
    if not dry_run and outcomes:
        counts: dict[str, int] = {}
        for outcome in outcomes:
            counts[outcome.outcome] = counts.get(outcome.outcome, 0) + 1
        audit.record(warehouse, "erase_propagated", actor="cli", target=erasure_id, details=counts)
    failed = [o for o in outcomes if o.outcome == "failed"]
    if failed:
        print(f"hub erase: {len(failed)} source records could not be erased there; fix the cause above, then for "
              "each: hub erase --source-record <record> --propagate --yes", file=sys.stderr)
        return 3
    return 0
