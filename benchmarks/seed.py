"""Seed a benchmark workspace with members and teams so list endpoints return realistic pages.

Run with the same environment as `peyvand` (PEYVAND_DATA_DIR / DATABASE_URL), after `peyvand migrate` and
`peyvand createadmin`:

    python benchmarks/seed.py --email owner@bench.local --workspace Bench --members 200 --teams 5

Users get unusable passwords (hashing 200 PBKDF2 passwords would take minutes and is not what is measured).
Idempotent: members that already exist are skipped.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))

ROLE_KEYS = ["sales_manager", "sales_rep", "support_agent", "read_only"]
LANGUAGES = ["", "en", "fa", "th"]
NAMES = ["سارا احمدی", "رضا کریمی", "สมชาย ใจดี", "มาลี สุขสันต์", "Alex Morgan", "Jamie Lee"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--email", required=True, help="the owner created by `peyvand createadmin`")
    parser.add_argument("--workspace", required=True)
    parser.add_argument("--members", type=int, default=200, help="members to add besides the owner")
    parser.add_argument("--teams", type=int, default=5)
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peyvand.config.settings")
    import django

    django.setup()
    from django.db import transaction

    from peyvand.accounts import services
    from peyvand.accounts.models import Membership, Role, Team, User
    from peyvand.core.context import Channel, acting_through

    with acting_through(Channel.SYSTEM), transaction.atomic():
        owner = Membership.objects.select_related("workspace", "user", "role").get(
            user__email__iexact=args.email, workspace__name=args.workspace
        )
        workspace = owner.workspace
        teams = []
        for index in range(args.teams):
            name = f"Bench team {index + 1}"
            team = Team.objects.filter(workspace=workspace, name=name).first()
            teams.append(team or services.team_create(actor=owner, name=name, description="benchmark"))
        roles = {r.key: r for r in Role.objects.filter(workspace=workspace, key__in=ROLE_KEYS)}
        missing = [k for k in ROLE_KEYS if k not in roles]
        if missing:
            print(
                f"seed: built-in roles missing: {', '.join(missing)} (run `peyvand migrate`)", file=sys.stderr
            )
            return 1
        created = 0
        for index in range(args.members):
            email = f"member{index:04d}@bench.peyvand.local"
            if Membership.objects.filter(workspace=workspace, user__email=email).exists():
                continue
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User(email=email, full_name=f"{NAMES[index % len(NAMES)]} {index}")
                user.set_unusable_password()
                user.save()
            member = Membership.objects.create(
                workspace=workspace,
                user=user,
                role=roles[ROLE_KEYS[index % len(ROLE_KEYS)]],
                language=LANGUAGES[index % len(LANGUAGES)],
            )
            if teams:
                member.teams.set([teams[index % len(teams)], teams[(index * 7 + 3) % len(teams)]])
            created += 1
        total = Membership.objects.filter(workspace=workspace).count()
    print(f"seed: {created} members added, {total} in workspace “{workspace.name}”, {len(teams)} teams")
    return 0


if __name__ == "__main__":
    sys.exit(main())
