"""Test data builders for accounts (through the services, so every row is as real as in production)."""

from __future__ import annotations

import factory

from peyvand.accounts import services
from peyvand.accounts.models import Membership, Role, Team, User, Workspace

PASSWORD = "a long test password 1"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def make_workspace(
    name: str = "Acme", owner: User | None = None, **settings_values
) -> tuple[Workspace, Membership]:
    """A workspace with its built-in roles and an owner."""
    return services.workspace_create(user=owner or UserFactory(), name=name, **settings_values)


def make_member(
    workspace: Workspace,
    role_key: str = "sales_rep",
    *,
    user: User | None = None,
    teams: list[Team] = (),
    language: str = "",
) -> Membership:
    member = Membership.objects.create(
        workspace=workspace,
        user=user or UserFactory(),
        language=language,
        role=Role.objects.get(workspace=workspace, key=role_key),
    )
    member.teams.set(teams)
    return Membership.objects.select_related("workspace", "role", "user").get(pk=member.pk)
