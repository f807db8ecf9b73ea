"""The demo customers load once, through the services, in three languages."""

from __future__ import annotations

import pytest

from peyvand.contacts.demo import demo_contacts_load
from peyvand.contacts.models import Company, Contact

pytestmark = pytest.mark.django_db


def test_demo_contacts_load_once(world):
    from peyvand.accounts import services

    services.workspace_update(actor=world.owner, workspace=world.workspace, changes={"country": "IR"})
    world.owner.workspace.refresh_from_db()
    made = demo_contacts_load(world.owner, people=30)
    assert made == 30
    assert Contact.objects.filter(workspace=world.workspace).count() == 30
    assert Company.objects.filter(workspace=world.workspace).count() == 26
    scripts = {c.first_name[0] for c in Contact.objects.all()}
    assert any("\u0600" <= ch <= "\u06ff" for ch in scripts) and any(
        "\u0e00" <= ch <= "\u0e7f" for ch in scripts
    )
    assert Contact.objects.filter(phone__startswith="+98").exists()
    assert demo_contacts_load(world.owner, people=30) == 0
