"""Likely duplicates, before saving and as pairs for the duplicates screen."""

from __future__ import annotations

import pytest

from peyvand.accounts import services as account_services
from peyvand.contacts import duplicates
from peyvand.contacts.tests.factories import make_company, make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def iran(world):
    account_services.workspace_update(actor=world.owner, workspace=world.workspace, changes={"country": "IR"})
    world.owner.workspace.refresh_from_db()
    return world


def test_same_email_phone_or_name_at_company(iran):
    company = make_company(iran.owner, "Parsian")
    ali = make_contact(
        iran.owner, "علی", "رضایی", emails=["ali@parsian.example"], phones=["09121234567"], company=company
    )
    make_contact(iran.owner, "Someone", "Else", emails=["x@example.com"])
    by_email = duplicates.contact_duplicates(iran.owner, emails=["ALI@parsian.example"])
    assert [c.record for c in by_email] == [ali] and by_email[0].reasons == ["email"]
    by_phone = duplicates.contact_duplicates(iran.owner, phones=["+989121234567"])
    assert [c.record for c in by_phone] == [ali]
    by_name = duplicates.contact_duplicates(iran.owner, name="علي  رضايي", company_id=company.pk)
    assert [c.record for c in by_name] == [ali]
    by_domain = duplicates.contact_duplicates(iran.owner, name="علی رضایی", emails=["other@parsian.example"])
    assert [c.record for c in by_domain] == [ali] and by_domain[0].reasons == ["name_domain"]
    everything = duplicates.contact_duplicates(
        iran.owner,
        emails=["ali@parsian.example"],
        phones=["+989121234567"],
        name="علی رضایی",
        company_id=company.pk,
    )
    assert everything[0].score == 100
    assert duplicates.contact_duplicates(iran.owner, emails=["ali@parsian.example"], exclude_id=ali.pk) == []


def test_same_name_elsewhere_is_not_a_duplicate(iran):
    make_contact(iran.owner, "Ali", "Rezaei", emails=["ali@gmail.com"])
    assert duplicates.contact_duplicates(iran.owner, name="Ali Rezaei", emails=["ali.r@gmail.com"]) == []


def test_duplicates_respect_visibility(iran):
    role = iran.rep.role
    role.permissions = {**role.permissions, "contact": {**role.permissions["contact"], "view": "own"}}
    role.save()
    iran.rep.refresh_from_db()
    make_contact(iran.owner, emails=["secret@example.com"])
    assert duplicates.contact_duplicates(iran.rep, emails=["secret@example.com"]) == []


def test_pairs(iran):
    company = make_company(iran.owner, "Parsian")
    a = make_contact(iran.owner, "Sara", "Ahmadi", emails=["sara@example.com"], company=company)
    b = make_contact(iran.owner, "sara", "ahmadi", emails=["SARA@example.com"], company=company)
    c = make_contact(iran.owner, "Reza", "Karimi", phones=["09121234567"])
    d = make_contact(iran.owner, "R.", "Karimi", phones=["+98 912 123 4567"])
    pairs = duplicates.contact_duplicate_pairs(iran.owner)
    assert [(p.first, p.second) for p in pairs] == [(a, b), (c, d)]
    assert pairs[0].score == 100 and sorted(pairs[0].reasons) == ["email", "name_company"]


def test_company_pairs(world):
    a = make_company(world.owner, "Northwind", website="northwind.example")
    b = make_company(world.owner, "Northwind Traders", domain="northwind.example")
    make_company(world.owner, "Other")
    pairs = duplicates.company_duplicate_pairs(world.owner)
    assert [(p.first, p.second) for p in pairs] == [(a, b)]
    assert [c.record for c in duplicates.company_duplicates(world.owner, domain="northwind.example")] == [
        a,
        b,
    ]


def test_pairs_do_not_compare_fields_the_role_hides(iran):
    """A pair "same e-mail" would tell a member who may not see e-mail addresses that two contacts share
    one; with e-mails hidden only the other reasons count."""
    make_contact(iran.owner, "Sara", "Ahmadi", emails=["sara@example.com"])
    make_contact(iran.owner, "Sara", "Karimi", emails=["SARA@example.com"])
    c = make_contact(iran.owner, "Reza", "Karimi", phones=["09121234567"])
    d = make_contact(iran.owner, "R.", "Karimi", phones=["+98 912 123 4567"])
    assert len(duplicates.contact_duplicate_pairs(iran.rep)) == 2
    role = iran.rep.role
    role.field_rules = {**role.field_rules, "contact": {"emails": "hidden"}}
    role.save()
    iran.rep.refresh_from_db()
    pairs = duplicates.contact_duplicate_pairs(iran.rep)
    assert [(p.first, p.second, p.reasons) for p in pairs] == [(c, d, ["phone"])]


def test_company_pairs_do_not_compare_hidden_domains(world):
    make_company(world.owner, "Parsian Trading", website="https://parsian.example")
    make_company(world.owner, "Parsian Group", website="https://www.parsian.example/about")
    assert len(duplicates.company_duplicate_pairs(world.rep)) == 1
    role = world.rep.role
    role.field_rules = {**role.field_rules, "company": {"website": "hidden"}}
    role.save()
    world.rep.refresh_from_db()
    assert duplicates.company_duplicate_pairs(world.rep) == []
