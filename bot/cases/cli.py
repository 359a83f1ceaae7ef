"""`helpline cases ...` and `helpline audit REF`: responders work on cases from a terminal.

Every command that reads or changes a case names the responder (`--as ID`,
or HELPLINE_RESPONDER_ID) and is checked and recorded like the Telegram
commands.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from bot.cases.store import CaseError


def add_parsers(sub: argparse._SubParsersAction) -> None:
    cases = sub.add_parser("cases", help="list, show, claim, reply to and close cases")
    cases_sub = cases.add_subparsers(dest="cases_command", required=True)
    listing = cases_sub.add_parser("list", help="list cases")
    listing.add_argument("--org", choices=["IOM", "UNICEF"], help="only this organisation's cases")
    listing.add_argument("--status", help="open, new, notified, claimed or closed")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    for name in ("show", "claim", "close"):
        p = cases_sub.add_parser(name, help=f"{name} a case")
        p.add_argument("reference")
        p.add_argument("--as", dest="responder", default=os.environ.get("HELPLINE_RESPONDER_ID"), help="your responder id")
    reply = cases_sub.add_parser("reply", help="send the person a message")
    reply.add_argument("reference")
    reply.add_argument("text", nargs="+")
    reply.add_argument("--as", dest="responder", default=os.environ.get("HELPLINE_RESPONDER_ID"), help="your responder id")
    cases.set_defaults(func=run_cases)
    audit = sub.add_parser("audit", help="the audit trail of a case")
    audit.add_argument("reference")
    audit.set_defaults(func=run_audit)


def _need_responder(args: argparse.Namespace) -> str:
    if not args.responder:
        raise CaseError("say who you are: --as RESPONDER_ID (or HELPLINE_RESPONDER_ID)")
    return args.responder


def run_cases(args: argparse.Namespace) -> int:
    from bot.cases.service import default_store
    from bot.handoff import Handoff

    store = default_store()
    handoff = Handoff(store)
    try:
        if args.cases_command == "list":
            for case in store.list(organization=args.org, status=args.status):
                data = case.as_dict()
                if args.json:
                    print(json.dumps(data, ensure_ascii=False))
                else:
                    print(f"{data['reference']}  {data['organization']:6}  {data['priority']:6}  {data['status']:8}  "
                          f"{data['category']:22}  {data['language'] or '-':3} {data['country'] or '-':3} {data['created_at']}")
            return 0
        responder = _need_responder(args)
        if args.cases_command == "show":
            print(json.dumps(store.read(args.reference, responder).as_dict(), indent=2, ensure_ascii=False))
        elif args.cases_command == "claim":
            case = store.claim(args.reference, responder)
            print(f"{case.reference} claimed by {responder}: the person's messages now come to you.")
        elif args.cases_command == "reply":
            handoff.reply(args.reference, responder, " ".join(args.text))
            print(f"reply queued for the person on {args.reference}")
        elif args.cases_command == "close":
            handoff.close(args.reference, responder)
            print(f"{args.reference} closed: the bot answers the person again.")
        return 0
    except CaseError as exc:
        print(f"helpline cases: {exc}", file=sys.stderr)
        return 1


def run_audit(args: argparse.Namespace) -> int:
    from bot.cases.service import default_store

    try:
        events = default_store().events(args.reference)
    except CaseError as exc:
        print(f"helpline audit: {exc}", file=sys.stderr)
        return 1
    for event in events:
        detail = json.dumps(event.detail, ensure_ascii=False) if event.detail else ""
        print(f"{event.at.isoformat() if event.at else '-'}  {event.kind:14} {event.actor:16} {detail}")
    return 0
