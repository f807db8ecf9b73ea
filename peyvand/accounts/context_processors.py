"""What the page shell needs: current member, their workspaces, and which settings screens they may open."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from peyvand.accounts.access import workspaces_of_user
from peyvand.accounts.policy import Action
from peyvand.core import recycle


def shell(request: HttpRequest) -> dict[str, Any]:
    member = getattr(request, "member", None)
    if member is None:
        return {"member": None}
    may = {
        "workspace": member.may(Action.VIEW, entity="workspace"),
        "members": member.may(Action.VIEW, entity="member"),
        "teams": member.may(Action.VIEW, entity="team"),
        "roles": member.may(Action.VIEW, entity="role"),
        "tokens": member.may(Action.VIEW, entity="token"),
        "audit": member.may(Action.VIEW, entity="audit"),
        "contacts": member.may(Action.VIEW, entity="contact"),
        "companies": member.may(Action.VIEW, entity="company"),
        "tags": member.may(Action.VIEW, entity="tag"),
        "custom_fields": member.may(Action.VIEW, entity="custom_field"),
        "bin": any(member.may(Action.DELETE, entity=spec.name) for spec in recycle.bin_entities()),
    }
    return {
        "member": member,
        "nav_may": may,
        "my_workspaces": lambda: list(workspaces_of_user(member.user)),
    }
