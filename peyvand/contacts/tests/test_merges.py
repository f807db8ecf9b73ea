"""Merging duplicates and undoing a merge from the recycle bin."""

from __future__ import annotations

import datetime

import pytest

from peyvand.accounts import services as account_services
from peyvand.contacts import merges, selectors, services
from peyvand.contacts.models import Company, Contact, Merge, Note
from peyvand.contacts.tests.factories import make_company, make_contact
from peyvand.core import recycle
from peyvand.core.errors import PermissionDeniedError, ValidationFailedError
from peyvand.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def iran(world):
    account_services.workspace_update(actor=world.owner, workspace=world.workspace, changes={"country": "IR"})
    world.owner.workspace.refresh_from_db()
    return world


def _pair(w):
    company = make_company(w.owner, "Parsian")
    a = make_contact(
        w.owner,
        "Sara",
        "Ahmadi",
        emails=["sara@parsian.example"],
        phones=["09121234567"],
        tags=["VIP"],
        company=company,
    )
    b = make_contact(
        w.owner,
        "Sara",
        "Ahmadi-Pour",
        emails=["sara.home@example.com", "SARA@parsian.example"],
        phones=["09351234567"],
        tags=["Newsletter"],
        job_title="CFO",
        birthday=datetime.date(1990, 5, 1),
    )
    services.note_create(actor=w.owner, contact=b, body="Met at the fair")
    return a, b


def test_merge_takes_chosen_and_missing_values_and_unites_lists(iran):
    a, b = _pair(iran)
    merges.contact_merge(actor=iran.owner, survivor=a, others=[b], choices={"last_name": b.pk})
    a.refresh_from_db()
    assert a.last_name == "Ahmadi-Pour"  # chosen
    assert a.job_title == "CFO" and a.birthday == datetime.date(1990, 5, 1)  # empty on the survivor
    assert a.company.name == "Parsian"  # kept
    assert sorted(a.emails.values_list("email", flat=True)) == [
        "sara.home@example.com",
        "sara@parsian.example",
    ]
    assert sorted(a.phones.values_list("number", flat=True)) == ["+989121234567", "+989351234567"]
    assert sorted(t.name for t in a.tags.all()) == ["Newsletter", "VIP"]
    assert Note.objects.get().contact == a
    assert not Contact.objects.filter(pk=b.pk).exists()
    assert AuditEntry.objects.filter(
        entity="contact", record_id=str(a.pk), changes__has_key="merged"
    ).exists()
    found = selectors.contact_list(iran.owner, selectors.parse_filters({"search": "09351234567"}))
    assert list(found) == [a]


def test_restoring_the_merged_contact_undoes_the_merge(iran):
    a, b = _pair(iran)
    merges.contact_merge(actor=iran.owner, survivor=a, others=[b], choices={"last_name": b.pk})
    recycle.restore(actor=iran.owner, record=Contact.all_objects.get(pk=b.pk))
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.last_name == "Ahmadi" and a.job_title == "" and a.birthday is None
    assert list(a.emails.values_list("email", flat=True)) == ["sara@parsian.example"]
    assert [t.name for t in a.tags.all()] == ["VIP"]
    assert Note.objects.get().contact == b
    assert b.deleted_at is None and b.phones.count() == 1
    assert Merge.objects.get().undone_at is not None


def test_undo_keeps_values_changed_after_the_merge(iran):
    a, b = _pair(iran)
    merges.contact_merge(actor=iran.owner, survivor=a, others=[b])
    a.refresh_from_db()
    services.contact_update(actor=iran.owner, contact=a, changes={"job_title": "CEO"})
    recycle.restore(actor=iran.owner, record=Contact.all_objects.get(pk=b.pk))
    a.refresh_from_db()
    assert a.job_title == "CEO"


def test_merge_refuses_nonsense_and_read_only_fields(iran):
    a, b = _pair(iran)
    with pytest.raises(ValidationFailedError):
        merges.contact_merge(actor=iran.owner, survivor=a, others=[a])
    with pytest.raises(ValidationFailedError):
        merges.contact_merge(actor=iran.owner, survivor=a, others=[b], choices={"last_name": 999999})
    role = iran.manager.role
    role.field_rules = {"contact": {"job_title": "read_only"}}
    role.save()
    iran.manager.refresh_from_db()
    with pytest.raises(PermissionDeniedError):
        merges.contact_merge(actor=iran.manager, survivor=a, others=[b])
    assert Contact.objects.filter(pk=b.pk).exists()


def test_company_merge_moves_people_and_undo_moves_them_back(world):
    a = make_company(world.owner, "Northwind", tags=["Partner"])
    b = make_company(world.owner, "Northwind Traders", domain="northwind.example", tags=["Wholesale"])
    person = make_contact(world.owner, "Lily", "Walker", company=b)
    merges.company_merge(actor=world.owner, survivor=a, others=[b])
    person.refresh_from_db()
    a.refresh_from_db()
    assert person.company == a and a.domain == "northwind.example"
    assert sorted(t.name for t in a.tags.all()) == ["Partner", "Wholesale"]
    recycle.restore(actor=world.owner, record=Company.all_objects.get(pk=b.pk))
    person.refresh_from_db()
    a.refresh_from_db()
    assert person.company_id == b.pk and a.domain == ""


def test_undoing_one_of_two_merged_keeps_values_the_other_gave(iran):
    a, b = _pair(iran)
    c = make_contact(iran.owner, "Sara", "A.", job_title="Buyer")
    merges.contact_merge(actor=iran.owner, survivor=a, others=[c, b])
    a.refresh_from_db()
    assert a.job_title == "Buyer"
    recycle.restore(actor=iran.owner, record=Contact.all_objects.get(pk=b.pk))
    a.refresh_from_db()
    assert a.job_title == "Buyer"  # c is still merged into a


def test_survivor_timeline_carries_the_merged_history(iran):
    a, b = _pair(iran)
    services.contact_update(actor=iran.owner, contact=b, changes={"source": "Fair"})
    merges.contact_merge(actor=iran.owner, survivor=a, others=[b])
    items = selectors.timeline(iran.owner, entity="contact", record_id=a.pk)
    audited_ids = {item.record.record_id for item in items if item.kind == "audit"}
    assert str(b.pk) in audited_ids
    assert any(item.kind == "note" for item in items)
    recycle.restore(actor=iran.owner, record=Contact.all_objects.get(pk=b.pk))
    items = selectors.timeline(iran.owner, entity="contact", record_id=a.pk)
    assert str(b.pk) not in {item.record.record_id for item in items if item.kind == "audit"}


def test_merge_service_refuses_an_owner_change_without_assign(iran):
    mine = make_contact(iran.manager, "Sara", "Mine", owner=iran.rep)
    theirs = make_contact(iran.manager, "Sara", "Theirs", owner=iran.teammate)
    with pytest.raises(PermissionDeniedError):
        merges.contact_merge(actor=iran.rep, survivor=mine, others=[theirs], choices={"owner": theirs.pk})
    assert Contact.objects.filter(pk=theirs.pk).exists()
    merges.contact_merge(actor=iran.rep, survivor=mine, others=[theirs])  # keeping the owner needs no assign
    mine.refresh_from_db()
    assert mine.owner == iran.rep
