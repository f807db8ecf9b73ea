"""core.bulk on the customer records: every field type they use reads back as the ORM would have written it."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from peyvand.contacts.models import Company, Contact
from peyvand.core import bulk

pytestmark = pytest.mark.django_db


def test_dates_decimals_json_and_defaults_read_back_unchanged(world):
    now = timezone.now()
    company = Company(
        workspace_id=world.workspace.pk,
        name="Parsian",
        annual_revenue=Decimal("1234567.50"),
        phones=[{"number": "+982112345678", "label": "work", "is_primary": True}],
        owner=world.owner,
        created_at=now,
        updated_at=now,
    )
    bulk.insert_objects(Company, [company])
    stored = Company.objects.get(pk=company.pk)
    assert stored.annual_revenue == Decimal("1234567.50")
    assert stored.phones == company.phones and stored.custom == {} and stored.addresses == []
    assert stored.created_at == now and stored.deleted_at is None
    contact = Contact(
        workspace_id=world.workspace.pk,
        first_name="سارا",
        birthday=datetime.date(1991, 4, 4),
        addresses=[{"city": "تهران", "street": "ولیعصر"}],
        social={"line": "somchai"},
        custom={"score": 7.5, "tags": ["a", "ข"]},
        company=company,
        owner=world.owner,
        created_at=now,
        updated_at=now,
    )
    bulk.insert_objects(Contact, [contact])
    stored = Contact.objects.get(pk=contact.pk)
    assert stored.birthday == datetime.date(1991, 4, 4) and stored.anniversary is None
    assert stored.addresses == contact.addresses and stored.social == {"line": "somchai"}
    assert stored.custom == {"score": 7.5, "tags": ["a", "ข"]} and stored.company_id == company.pk


def test_wide_rows_split_under_the_parameter_limit(world):
    """Contacts have some 45 columns: 1,500 of them need several statements on both databases."""
    now = timezone.now()
    contacts = [
        Contact(workspace_id=world.workspace.pk, first_name=f"P{n}", created_at=now, updated_at=now)
        for n in range(1500)
    ]
    bulk.insert_objects(Contact, contacts)
    assert len({c.pk for c in contacts}) == 1500
    names = dict(Contact.objects.filter(pk__in=[c.pk for c in contacts]).values_list("pk", "first_name"))
    assert all(names[c.pk] == c.first_name for c in contacts)


def test_keys_of_rows_skipped_on_a_conflict_cannot_be_asked_for(world):
    with pytest.raises(ValueError):
        bulk.insert_rows(Contact, ["workspace", "first_name"], [], returning=True, ignore_conflicts=True)
