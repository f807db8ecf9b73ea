"""Demo data for `peyvand demo`: a workspace with people in three languages. Loading twice adds nothing."""

from __future__ import annotations

import json
import os
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction

from peyvand.accounts import services
from peyvand.accounts.models import Membership, Role, Team, User
from peyvand.core.context import Channel, acting_through

DEMO_EMAIL = "owner@demo.peyvand.local"
DEMO_WORKSPACE = "Peyvand Demo"

PEOPLE = [
    ("sara@demo.peyvand.local", "سارا احمدی", "sales_manager", ["Tehran sales"], "fa"),
    ("reza@demo.peyvand.local", "رضا کریمی", "sales_rep", ["Tehran sales"], "fa"),
    ("somchai@demo.peyvand.local", "สมชาย ใจดี", "support_agent", ["Bangkok support"], "th"),
    ("malee@demo.peyvand.local", "มาลี สุขสันต์", "sales_rep", ["Bangkok support"], "th"),
    ("alex@demo.peyvand.local", "Alex Morgan", "read_only", [], "en"),
]
TEAMS = [("Tehran sales", "Iran: inbound and field sales"), ("Bangkok support", "Thailand: customer care")]


def _credentials_path() -> Any:
    return settings.DATA_DIR / "demo-credentials.json"


def demo_load() -> dict[str, str]:
    """Create the demo workspace once and return the owner's credentials (kept in the data directory,
    mode 600, so every run prints the same working password)."""
    path = _credentials_path()
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text())
    password = stored.get("password") or secrets.token_urlsafe(12)
    with acting_through(Channel.SYSTEM), transaction.atomic():
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is None or not user.check_password(password):
            owner, _created = services.admin_create(
                email=DEMO_EMAIL, password=password, workspace_name=DEMO_WORKSPACE
            )
            if not owner.user.full_name:
                User.objects.filter(pk=owner.user_id).update(full_name="Demo Owner")
        owner = Membership.objects.select_related("workspace", "user", "role").get(
            user__email=DEMO_EMAIL, workspace__name=DEMO_WORKSPACE
        )
        workspace = owner.workspace
        teams = {}
        for name, description in TEAMS:
            team = Team.objects.filter(workspace=workspace, name=name).first()
            teams[name] = team or services.team_create(actor=owner, name=name, description=description)
        for email, full_name, role_key, team_names, language in PEOPLE:
            if Membership.objects.filter(workspace=workspace, user__email=email).exists():
                continue
            person = User.objects.filter(email=email).first() or User.objects.create_user(
                email=email, password=secrets.token_urlsafe(16), full_name=full_name
            )
            member = Membership.objects.create(
                workspace=workspace,
                user=person,
                language=language,
                role=Role.objects.get(workspace=workspace, key=role_key),
            )
            member.teams.set([teams[t] for t in team_names])
    if stored.get("password") != password:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump({"email": DEMO_EMAIL, "password": password}, handle)
    return {"email": DEMO_EMAIL, "password": password}
