"""Business rules of contacts and companies, tested at the service."""

from __future__ import annotations

import datetime

import pytest

from peyvand.accounts import services as account_services
from peyvand.contacts import selectors, services
from peyvand.contacts.models import Contact, ContactEmail, ContactPhone, LifecycleStage
from peyvand.contacts.tests.factories import make_company, make_contact
from peyvand.core import recycle
from peyvand.core.errors import ConflictError, PermissionDeniedError, ValidationFailedError
from peyvand.core.events import dispatch_pending
from peyvand.core.models import AuditEntry, OutboxEvent, Tag

pytestmark = pytest.mark.django_db


@pytest.fixture
def iran(world):
    """Acme set to Iran, so national phone numbers (0912…) are read as Iranian."""
    account_services.workspace_update(actor=world.owner, workspace=world.workspace, changes={"country": "ir"})
    world.owner.workspace.refresh_from_db()
    return world


def _ids(member, **params):
    return set(selectors.contact_list(member, selectors.parse_filters(params)).values_list("pk", flat=True))


def test_create_contact_normalizes_phones_emails_and_derives_columns(iran):
    contact = make_contact(
        iran.owner,
        "علي",
        "رضايي",
        emails=[{"email": "Ali@Example.COM", "label": "work"}, "ali.home@example.com"],
        phones=["۰۹۱۲ ۱۲۳ ۴۵۶۷", {"number": "+66 81 234 5678", "is_primary": True}],
        tags=["VIP", "vip "],
    )
    assert contact.display_name == "علي رضايي"
    assert contact.email == "Ali@example.com"
    assert contact.phone == "+66812345678"
    assert list(contact.phones.values_list("number", flat=True)) == ["+989121234567", "+66812345678"]
    assert ContactEmail.objects.filter(contact=contact, is_primary=True).count() == 1
    assert [t.name for t in Tag.objects.filter(workspace=iran.workspace)] == ["VIP"]
    assert contact.owner == iran.owner
    entry = AuditEntry.objects.get(entity="contact", record_id=str(contact.pk), action="create")
    assert entry.changes["phones"][1] == ["+989121234567", "+66812345678"]
    assert OutboxEvent.objects.filter(name="contact.created", record_id=str(contact.pk)).exists()


@pytest.mark.parametrize(
    "query",
    [
        "علی",
        "علي",
        "رضایی",
        "ali@example",
        "۰۹۱۲۱۲۳",
        "0912 123 4567",
        "+98 912 123",
        "٠٩١٢",
        "ALI@EXAMPLE.COM",
    ],
)
def test_search_finds_persian_contact_however_typed(iran, query):
    contact = make_contact(iran.owner, "علي", "رضايي", emails=["ali@example.com"], phones=["09121234567"])
    make_contact(iran.owner, "Somchai", "Jaidee")
    assert _ids(iran.owner, search=query) == {contact.pk}


def test_search_thai_substring_and_latin_accents(world):
    thai = make_contact(world.owner, "สมชาย", "ใจดี")
    zoe = make_contact(world.owner, "Zoë", "Müller")
    assert _ids(world.owner, search="ชายใจ") == {thai.pk}
    assert _ids(world.owner, search="zoe mul") == {zoe.pk}


def test_unparseable_phone_and_email_name_the_field(iran):
    with pytest.raises(ValidationFailedError) as error:
        make_contact(iran.owner, phones=["12"])
    assert "phones" in error.value.fields
    with pytest.raises(ValidationFailedError) as error:
        make_contact(iran.owner, emails=["not-an-address"])
    assert "emails" in error.value.fields
    too_long = "x" * 64 + "@" + ("d" * 63 + ".") * 3 + "com"  # well-formed, 260 characters
    with pytest.raises(ValidationFailedError) as error:
        make_contact(iran.owner, emails=["ok@example.com", too_long])
    assert "254" in " ".join(error.value.fields["emails"])
    assert not Contact.objects.exists()


def test_contact_needs_a_name_or_a_way_to_reach(world):
    with pytest.raises(ValidationFailedError):
        services.contact_create(actor=world.owner, data={"job_title": "CEO"})
    contact = services.contact_create(actor=world.owner, data={"emails": ["x@example.com"]})
    assert str(contact) == "x@example.com"


def test_update_replaces_lists_audits_and_refuses_stale_versions(iran):
    contact = make_contact(iran.owner, phones=["09121234567"])
    services.contact_update(
        actor=iran.owner,
        contact=contact,
        changes={"job_title": "CEO", "phones": ["09351234567"], "tags": ["Lead"]},
        expected_version=1,
    )
    contact.refresh_from_db()
    assert contact.version == 2 and contact.phone == "+989351234567"
    entry = AuditEntry.objects.filter(entity="contact", action="update").latest("id")
    assert entry.changes["phones"] == [["+989121234567"], ["+989351234567"]]
    assert entry.changes["tags"] == [[], ["Lead"]]
    assert entry.changes["job_title"] == ["", "CEO"]
    with pytest.raises(ConflictError):
        services.contact_update(
            actor=iran.owner, contact=contact, changes={"job_title": "X"}, expected_version=1
        )


def test_update_without_changes_saves_nothing(world):
    contact = make_contact(world.owner, emails=["a@example.com"])
    services.contact_update(
        actor=world.owner, contact=contact, changes={"first_name": "Sara", "emails": ["a@example.com"]}
    )
    contact.refresh_from_db()
    assert contact.version == 1


def test_read_only_field_is_refused(world):
    role = world.rep.role
    role.field_rules = {"contact": {"birthday": "read_only"}}
    role.save()
    world.rep.refresh_from_db()
    contact = make_contact(world.rep)
    with pytest.raises(PermissionDeniedError):
        services.contact_update(
            actor=world.rep, contact=contact, changes={"birthday": datetime.date(1990, 1, 1)}
        )


def test_assigning_to_someone_else_needs_assign(world):
    with pytest.raises(PermissionDeniedError):
        make_contact(world.rep, owner=world.teammate)
    contact = make_contact(world.manager, owner=world.rep)
    assert contact.owner == world.rep


def test_custom_fields_validate_and_filter(world):
    from peyvand.core.models import CustomField

    CustomField.objects.create(
        workspace=world.workspace, entity="contact", key="budget", label="Budget", field_type="number"
    )
    CustomField.objects.create(
        workspace=world.workspace,
        entity="contact",
        key="size",
        label="Size",
        field_type="choice",
        choices=[{"value": "s", "label": "Small"}, {"value": "l", "label": "Large"}],
    )
    big = make_contact(world.owner, custom={"budget": "۱۲۰۰", "size": "Large"})
    make_contact(world.owner, "Other", custom={"budget": 5})
    assert big.custom == {"budget": 1200, "size": "l"}
    with pytest.raises(ValidationFailedError) as error:
        make_contact(world.owner, custom={"budget": "lots"})
    assert "custom.budget" in error.value.fields
    with pytest.raises(ValidationFailedError):
        make_contact(world.owner, custom={"nope": 1})
    assert _ids(world.owner, **{"custom.budget__gte": "100"}) == {big.pk}
    assert _ids(world.owner, **{"custom.size": "l"}) == {big.pk}


def test_filters_tags_owner_lifecycle_and_birthday(world):
    services.lifecycle_ensure_defaults(world.workspace.pk)
    customer = LifecycleStage.objects.get(workspace=world.workspace, key="customer")
    a = make_contact(world.owner, "A", tags=["vip", "north"], lifecycle_stage=customer)
    b = make_contact(world.owner, "B", tags=["vip"])
    c = make_contact(world.manager, "C", owner=world.rep, birthday=datetime.date(1990, 1, 1))
    vip = Tag.objects.get(name="vip")
    north = Tag.objects.get(name="north")
    assert _ids(world.owner, tag=[str(vip.pk)]) == {a.pk, b.pk}
    assert _ids(world.owner, tag=[str(vip.pk), str(north.pk)], tags_mode="all") == {a.pk}
    assert _ids(world.owner, not_tag=[str(vip.pk)]) == {c.pk}
    assert _ids(world.owner, owner=[str(world.rep.pk)]) == {c.pk}
    assert _ids(world.owner, lifecycle=[str(customer.pk)]) == {a.pk}
    with pytest.raises(ValidationFailedError):
        _ids(world.owner, ordering="bogus")


def test_scope_own_and_team(world):
    role = world.rep.role
    role.permissions = {**role.permissions, "contact": {**role.permissions["contact"], "view": "team"}}
    role.save()
    world.rep.refresh_from_db()
    mine = make_contact(world.manager, "Mine", owner=world.rep)
    teammates = make_contact(world.manager, "Teammate", owner=world.teammate)
    make_contact(world.manager, "Outsider", owner=world.outsider_rep)
    assert _ids(world.rep) == {mine.pk, teammates.pk}


def test_sorted_by_name_in_persian_order(world):
    account_services.workspace_update(
        actor=world.owner, workspace=world.workspace, changes={"language": "fa"}
    )
    world.owner.workspace.refresh_from_db()
    for name in ["یاسمن", "پرویز", "بهرام", "چنگیز", "آرش", "Ali"]:
        make_contact(world.owner, name, "")
    names = list(
        Contact.objects.filter(workspace=world.workspace)
        .order_by("sort_key", "id")
        .values_list("first_name", flat=True)
    )
    assert names == ["آرش", "بهرام", "پرویز", "چنگیز", "یاسمن", "Ali"]


def test_company_rename_reindexes_its_people(world):
    company = make_company(world.owner, "Parsian Trading", website="https://www.Parsian.example/about")
    assert company.domain == "parsian.example"
    person = make_contact(world.owner, company=company)
    services.company_update(actor=world.owner, company=company, changes={"name": "Pasargad"})
    dispatch_pending()  # what the worker does after commit
    assert _ids(world.owner, search="pasargad") == {person.pk}


def test_company_cannot_be_its_own_ancestor(world):
    parent = make_company(world.owner, "Parent")
    child = make_company(world.owner, "Child", parent=parent)
    with pytest.raises(ValidationFailedError):
        services.company_update(actor=world.owner, company=parent, changes={"parent": child})


def test_soft_delete_and_restore(world):
    contact = make_contact(world.owner)
    recycle.soft_delete(actor=world.owner, record=contact)
    assert not Contact.objects.filter(pk=contact.pk).exists()
    recycle.restore(actor=world.owner, record=Contact.all_objects.get(pk=contact.pk))
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_notes_and_timeline(world):
    contact = make_contact(world.owner)
    services.note_create(actor=world.owner, contact=contact, body="Called, wants a quote")
    services.contact_update(actor=world.owner, contact=contact, changes={"job_title": "CFO"})
    items = selectors.timeline(world.owner, entity="contact", record_id=contact.pk)
    assert [i.kind for i in items][:2] in (["audit", "note"], ["note", "audit"])
    assert len(items) == 3


def test_phones_kept_apart_per_contact(iran):
    a = make_contact(iran.owner, phones=["09121234567"])
    make_contact(iran.owner, "Other", phones=["09121234567"])
    assert ContactPhone.objects.filter(number="+989121234567").count() == 2
    assert a.phone == "+989121234567"


def test_custom_field_definitions(world):
    from peyvand.core import customfields

    field = customfields.custom_field_create(
        actor=world.owner,
        data={
            "entity": "contact",
            "label": "Customer tier",
            "field_type": "choice",
            "choices": ["Gold", "Silver"],
        },
    )
    assert field.key == "customer_tier"
    assert field.choices == [{"value": "gold", "label": "Gold"}, {"value": "silver", "label": "Silver"}]
    with pytest.raises(ValidationFailedError):
        customfields.custom_field_create(
            actor=world.owner,
            data={"entity": "contact", "label": "Tier", "field_type": "choice", "choices": []},
        )
    with pytest.raises(ValidationFailedError):
        customfields.custom_field_update(actor=world.owner, field=field, changes={"field_type": "text"})
    customfields.custom_field_update(
        actor=world.owner, field=field, changes={"label": "Tier", "required": True}
    )
    assert field.version == 2
    with pytest.raises(ValidationFailedError) as error:
        make_contact(world.owner)
    assert "custom.customer_tier" in error.value.fields
    # field rules can name it
    from peyvand.accounts import policy

    assert ("custom.customer_tier", "Tier") in policy.entity("contact").fields_for(world.workspace.pk)


def test_tag_merge_keeps_one_link_per_record(world):
    from peyvand.core import tags as tag_services

    both = make_contact(world.owner, "Both", tags=["vip", "v.i.p", "gold"])
    one = make_contact(world.owner, "One", tags=["v.i.p"])
    target = Tag.objects.get(name="gold")
    sources = list(Tag.objects.filter(name__in=["vip", "v.i.p"]))
    tag_services.tag_merge(actor=world.owner, sources=sources, target=target)
    assert [t.name for t in both.tags.all()] == ["gold"]
    assert [t.name for t in one.tags.all()] == ["gold"]
    assert list(Tag.objects.filter(workspace=world.workspace).values_list("name", flat=True)) == ["gold"]
