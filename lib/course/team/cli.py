"""The team stack's command line: ``python -m lib.course.team up|down|status|add-member|connect`` (``make team-up``)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict, replace
from pathlib import Path

from lib import paths
from lib.course.team.common import Ports, TeamError
from lib.course.team.stack import load


def main(argv: list[str] | None = None) -> int:
    """``python -m lib.course.team up|down|status|add-member|connect``: see ``make help``."""
    parser = argparse.ArgumentParser(
        prog="python -m lib.course.team", description="The team stack: a shared MLflow server and DVC remote."
    )
    parser.add_argument("--home", type=Path, default=paths.PROJ_ROOT / ".team", help="the stack's folder (.team)")
    verbs = parser.add_subparsers(dest="verb", required=True)
    up = verbs.add_parser("up", help="start the stack; create the members named")
    up.add_argument("--host", default=None, help="address to bind MLflow and sshd to (127.0.0.1)")
    up.add_argument("--members", default="", help="comma-separated member names, each with EDIT")
    up.add_argument("--connect", default=None, help="member whose access this clone gets (team.env, .dvc/config.local)")
    for service, default in asdict(Ports()).items():
        up.add_argument(f"--{service}-port", type=int, help=f"{service}'s port (the last one, else {default})")
    verbs.add_parser("down", help="stop the stack, keep its data")
    verbs.add_parser("status", help="which services run")
    add = verbs.add_parser("add-member", help="create a member's account and key")
    add.add_argument("name")
    add.add_argument("--read-only", action="store_true", help="READ on everything, pull but not push")
    connect = verbs.add_parser("connect", help="give this clone a member's access")
    connect.add_argument("name")
    args = parser.parse_args(argv)
    team = load(args.home)
    try:
        if args.verb == "up":
            if args.host:
                team.host = args.host
            chosen = {name: getattr(args, f"{name}_port") for name in asdict(Ports())}
            team.ports = replace(team.ports, **{name: port for name, port in chosen.items() if port})
            members = [name for name in args.members.split(",") if name]
            seconds = team.up(members)
            print(f"team stack up in {seconds:.1f} s: MLflow {team.tracking_uri}, DVC remote {team.remote_url}")
            for name in members:
                print(f"  member {name}: {team.home / 'members' / name / 'team.env'}")
            if args.connect:
                print(f"this clone now uses {args.connect}'s access: {team.connect(paths.PROJ_ROOT, args.connect)}")
        elif args.verb == "down":
            team.down()
            print(f"team stack stopped; its data stays in {team.home}")
        elif args.verb == "status":
            for service, running in team.status().items():
                print(f"{service}: {'running' if running else 'stopped'}")
        elif args.verb == "add-member":
            member = team.add_member(args.name, can_edit=not args.read_only)
            access = "EDIT" if member.can_edit else "READ"
            print(f"member {member.name} ({access}): {team.home / 'members' / member.name / 'team.env'}")
        elif args.verb == "connect":
            print(f"this clone now uses {args.name}'s access: {team.connect(paths.PROJ_ROOT, args.name)}")
    except TeamError as error:
        print(f"team stack: {error}", file=sys.stderr)
        return 1
    return 0
