"""The contact and company screens: who may open and post what, hidden fields, forms, bulk actions, htmx
partials and the list's query count."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from peyvand.accounts import services as account_services
from peyvand.contacts import services
from peyvand.contacts.models import Company, Contact, LifecycleStage, Note
from peyvand.contacts.tests.factories import make_company, make_contact
from peyvand.core import customfields, recycle
from peyvand.core.models import AuditEntry, CustomField, Tag

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def crm(world):
    """Acme (Iran, so 0912… numbers are Iranian) with the default lifecycle list, a company with a
    subsidiary, and contacts owned by the owner, a rep, the rep's teammate and a rep of another team."""
    account_services.workspace_update(actor=world.owner, workspace=world.workspace, changes={"country": "IR"})
    world.owner.workspace.refresh_from_db()
    for member in (
        world.admin,
        world.manager,
        world.rep,
        world.teammate,
        world.outsider_rep,
        world.read_only,
    ):
        member.workspace.refresh_from_db()
    services.lifecycle_ensure_defaults(world.workspace.pk)
    world.lead = LifecycleStage.objects.get(workspace=world.workspace, key="lead")
    world.customer = LifecycleStage.objects.get(workspace=world.workspace, key="customer")
    world.company = make_company(world.owner, "Parsian Trading")
    world.subsidiary = make_company(world.owner, "Parsian Kish", parent=world.company)
    world.owners_contact = make_contact(
        world.owner,
        "Owner's",
        "Client",
        emails=["client@example.com"],
        phones=["09121234567"],
        company=world.company,
        tags=["VIP"],
    )
    world.reps_contact = make_contact(world.manager, "Rep's", "Client", owner=world.rep, tags=["North"])
    world.teammates_contact = make_contact(world.manager, "Teammate's", "Client", owner=world.teammate)
    world.outsiders_contact = make_contact(world.manager, "Outsider's", "Client", owner=world.outsider_rep)
    world.other_contact = make_contact(world.other_owner, "Other", "Workspace")
    return world


def _get(client: Client, name: str, *args, **params):
    return client.get(reverse(name, args=args), params)


# ----------------------------------------------------------------------------- who may open what

SCREENS = [
    ("contacts:contact_list", ()),
    ("contacts:contact_new", ()),
    ("contacts:contact_detail", ("reps_contact",)),
    ("contacts:contact_edit", ("reps_contact",)),
    ("contacts:contact_edit", ("owners_contact",)),
    ("contacts:company_list", ()),
    ("contacts:company_new", ()),
    ("contacts:company_detail", ("company",)),
    ("contacts:company_edit", ("company",)),
    ("contacts:search", ()),
    ("contacts:tags", ()),
    ("contacts:custom_fields", ()),
    ("contacts:lifecycle", ()),
]
REFUSED = {
    "owner": set(),
    "admin": set(),
    # A manager changes their team's records (the rep is in North, the owner in none).
    "manager": {("contacts:contact_edit", ("owners_contact",)), ("contacts:company_edit", ("company",))},
    "rep": {("contacts:contact_edit", ("owners_contact",)), ("contacts:company_edit", ("company",))},
    "read_only": {
        ("contacts:contact_new", ()),
        ("contacts:contact_edit", ("reps_contact",)),
        ("contacts:contact_edit", ("owners_contact",)),
        ("contacts:company_new", ()),
        ("contacts:company_edit", ("company",)),
    },
}


@pytest.mark.parametrize("who", list(REFUSED))
def test_screen_matrix(crm, web_client_for, who, django_assert_max_num_queries):
    client = web_client_for(getattr(crm, who))
    for name, attrs in SCREENS:
        args = [getattr(crm, a).pk for a in attrs]
        with django_assert_max_num_queries(40):
            response = client.get(reverse(name, args=args))
        expected = 403 if (name, attrs) in REFUSED[who] else 200
        assert response.status_code == expected, (who, name, attrs, response.status_code)


@pytest.mark.parametrize(
    "path",
    [
        "/contacts/",
        "/contacts/new/",
        "/companies/",
        "/search/?q=a",
        "/settings/tags/",
        "/settings/lifecycle/",
    ],
)
def test_anonymous_is_sent_to_login(db, path):
    response = Client().get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith(reverse("accounts:login"))


def test_other_workspace_records_are_not_found(crm, web_client_for):
    client = web_client_for(crm.owner)
    contact, company = crm.other_contact, make_company(crm.other_owner, "Elsewhere")
    note = services.note_create(actor=crm.other_owner, contact=contact, body="secret")
    for path in [
        reverse("contacts:contact_detail", args=[contact.pk]),
        reverse("contacts:contact_edit", args=[contact.pk]),
        reverse("contacts:contact_inline", args=[contact.pk, "job_title"]) + "?edit=1",
        reverse("contacts:company_detail", args=[company.pk]),
        reverse("contacts:company_edit", args=[company.pk]),
        reverse("contacts:note_edit", args=[note.pk]),
        reverse("contacts:contact_timeline", args=[contact.pk]),
        reverse("contacts:company_timeline", args=[company.pk]),
    ]:
        assert client.get(path).status_code == 404, path
    for path in [
        reverse("contacts:contact_delete", args=[contact.pk]),
        reverse("contacts:contact_note_add", args=[contact.pk]),
        reverse("contacts:note_delete", args=[note.pk]),
        reverse("contacts:company_delete", args=[company.pk]),
    ]:
        assert client.post(path, {"body": "x"}).status_code == 404, path
    assert Contact.objects.filter(pk=contact.pk).exists() and Note.objects.filter(pk=note.pk).exists()
    assert "Other Workspace" not in client.get(reverse("contacts:contact_list")).content.decode()


def test_rep_sees_a_teammates_contact_but_cannot_change_it(crm, web_client_for):
    client = web_client_for(crm.rep)
    contact = crm.teammates_contact
    page = client.get(reverse("contacts:contact_detail", args=[contact.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("contacts:contact_edit", args=[contact.pk]) not in html
    assert reverse("contacts:contact_delete", args=[contact.pk]) not in html
    assert "?edit=1" not in html
    edit = client.post(reverse("contacts:contact_edit", args=[contact.pk]), {"first_name": "Hacked"})
    inline = client.post(
        reverse("contacts:contact_inline", args=[contact.pk, "job_title"]), {"value": "Hacked"}, **HX
    )
    delete = client.post(reverse("contacts:contact_delete", args=[contact.pk]))
    assert (edit.status_code, inline.status_code, delete.status_code) == (403, 403, 403)
    contact.refresh_from_db()
    assert contact.first_name == "Teammate's" and contact.job_title == "" and contact.deleted_at is None
    # Their own contact they may change.
    own = client.get(reverse("contacts:contact_detail", args=[crm.reps_contact.pk])).content.decode()
    assert reverse("contacts:contact_edit", args=[crm.reps_contact.pk]) in own


def test_read_only_cannot_create(crm, web_client_for):
    client = web_client_for(crm.read_only)
    before = Contact.objects.count()
    assert client.post(reverse("contacts:contact_new"), {"first_name": "Nope"}).status_code == 403
    assert (
        client.post(reverse("contacts:contact_quick_create"), {"quick-first_name": "Nope"}, **HX).status_code
        == 403
    )
    assert client.post(reverse("contacts:company_new"), {"name": "Nope"}).status_code == 403
    assert Contact.objects.count() == before and not Company.objects.filter(name="Nope").exists()
    html = client.get(reverse("contacts:contact_list")).content.decode()
    assert 'id="pv-quick"' not in html and reverse("contacts:contact_new") not in html
    assert 'id="pv-bulk"' not in html


# ----------------------------------------------------------------------------- hidden and read-only fields


def _rules(member, rules):
    role = member.role
    role.field_rules = rules
    role.save()
    member.refresh_from_db()
    return member


def test_hidden_fields_never_render(crm, web_client_for):
    customfields.custom_field_create(
        actor=crm.owner, data={"entity": "contact", "label": "Salary", "field_type": "number"}
    )
    services.contact_update(
        actor=crm.owner,
        contact=crm.owners_contact,
        changes={"custom": {"salary": 98765}, "birthday": datetime.date(1990, 5, 17)},
    )
    _rules(
        crm.rep,
        {
            "contact": {
                "emails": "hidden",
                "phones": "hidden",
                "birthday": "hidden",
                "custom.salary": "hidden",
            }
        },
    )
    client = web_client_for(crm.rep)
    contact = crm.owners_contact
    secrets = ["client@example.com", "912", "98765", "98,765", "1990", "Salary", "Birthday", "id_emails"]
    pages = [
        client.get(reverse("contacts:contact_list"), {"columns": "email,phone,birthday,custom.salary,tags"}),
        client.get(reverse("contacts:contact_detail", args=[contact.pk])),
        client.get(reverse("contacts:contact_edit", args=[crm.reps_contact.pk])),
        client.get(reverse("contacts:contact_new")),
        client.get(reverse("contacts:contact_list"), {"search": "Owner"}),
        client.get(reverse("contacts:search"), {"q": "Owner"}, **HX),
    ]
    for response in pages:
        assert response.status_code == 200
        html = response.content.decode()
        for secret in secrets:
            assert secret not in html, (response.request["PATH_INFO"], secret)
    # The list does not offer the hidden columns, and filtering by one is refused.
    chooser = [c.key for c, _checked in pages[0].context["chooser"]]
    assert "email" not in chooser and "custom.salary" not in chooser and "tags" in chooser
    refused = client.get(reverse("contacts:contact_list"), {"custom.salary__gte": "1"})
    assert refused.status_code == 422 and not refused.context["rows"]


def test_tags_are_not_shown_to_a_role_that_may_not_see_tags(crm, web_client_for):
    role = crm.read_only.role
    role.permissions = {k: v for k, v in role.permissions.items() if k != "tag"}
    role.save()
    crm.read_only.refresh_from_db()
    client = web_client_for(crm.read_only)
    listed = client.get(reverse("contacts:contact_list"), {"columns": "tags"})
    assert [c.key for c in listed.context["columns"]] == [] and "VIP" not in listed.content.decode()
    page = client.get(reverse("contacts:contact_detail", args=[crm.owners_contact.pk])).content.decode()
    assert "VIP" not in page


def test_read_only_field_is_disabled_and_left_alone(crm, web_client_for):
    _rules(crm.rep, {"contact": {"job_title": "read_only"}})
    client = web_client_for(crm.rep)
    contact = crm.reps_contact
    html = client.get(reverse("contacts:contact_edit", args=[contact.pk])).content.decode()
    assert re.search(r'<input[^>]*name="job_title"[^>]*disabled', html)
    response = client.post(
        reverse("contacts:contact_edit", args=[contact.pk]),
        {"first_name": "Renamed", "job_title": "Boss", "expected_version": contact.version},
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.first_name == "Renamed" and contact.job_title == ""
    detail = client.get(reverse("contacts:contact_detail", args=[contact.pk])).content.decode()
    assert "pv-inline-job_title" in detail and "field/job_title/?edit=1" not in detail


# ----------------------------------------------------------------------------- the contact form


def test_create_contact_with_everything(crm, web_client_for):
    customfields.custom_field_create(
        actor=crm.owner,
        data={"entity": "contact", "label": "Tier", "field_type": "choice", "choices": ["Gold", "Silver"]},
    )
    customfields.custom_field_create(
        actor=crm.owner, data={"entity": "contact", "label": "Since", "field_type": "date"}
    )
    response = web_client_for(crm.owner).post(
        reverse("contacts:contact_new"),
        {
            "first_name": "علي",
            "last_name": "رضايي",
            "emails-0-value": "ali@example.com",
            "emails-0-label": "work",
            "emails-1-value": "ali.home@example.com",
            "emails-1-label": "home",
            "emails-primary": "1",
            "phones-0-value": "۰۹۱۲ ۱۲۳ ۴۵۶۷",
            "phones-0-label": "mobile",
            "phones-primary": "0",
            "company": crm.company.pk,
            "owner": crm.rep.pk,
            "lifecycle_stage": crm.customer.pk,
            "tags": "VIP، New one",
            "birthday": "1990-05-17",
            "email_consent": "granted",
            "custom.tier": "silver",
            "custom.since": "2020-01-02",
            "social_telegram": "@ali",
            "addresses-0-street": "Valiasr St 12",
            "addresses-0-city": "Tehran",
            # The owner's client has this phone: seen on the possible-duplicates panel, created anyway.
            "duplicates_seen": str(crm.owners_contact.pk),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    contact = Contact.objects.get(first_name="علي")
    assert response.headers["Location"] == reverse("contacts:contact_detail", args=[contact.pk])
    assert contact.email == "ali.home@example.com" and contact.phone == "+989121234567"
    assert (
        contact.company == crm.company
        and contact.owner == crm.rep
        and contact.lifecycle_stage == crm.customer
    )
    assert sorted(t.name for t in contact.tags.all()) == ["New one", "VIP"]
    assert contact.custom == {"tier": "silver", "since": "2020-01-02"}
    assert contact.birthday == datetime.date(1990, 5, 17) and contact.email_consent == "granted"
    assert contact.social == {"telegram": "@ali"} and contact.addresses[0]["city"] == "Tehran"
    page = (
        web_client_for(crm.owner).get(reverse("contacts:contact_detail", args=[contact.pk])).content.decode()
    )
    assert "Silver" in page and "tel:+989121234567" in page and "mailto:ali@example.com" in page
    assert "0912 123 4567" in page  # national format in the workspace's country


def test_form_error_keeps_input_and_saves_nothing(crm, web_client_for):
    customfields.custom_field_create(
        actor=crm.owner, data={"entity": "contact", "label": "Budget", "field_type": "number"}
    )
    before = (Contact.all_objects.count(), Tag.objects.count(), AuditEntry.objects.count())
    response = web_client_for(crm.owner).post(
        reverse("contacts:contact_new"),
        {
            "first_name": "Sara",
            "phones-0-value": "12",
            "emails-0-value": "sara@example.com",
            "tags": "Brand new tag",
            "custom.budget": "lots",
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'value="Sara"' in html and 'value="12"' in html and 'value="sara@example.com"' in html
    assert 'value="Brand new tag"' in html and 'value="lots"' in html
    form = response.context["form"]
    assert "phones" in form.errors and "custom.budget" in form.errors
    assert 'id="id_phones_error"' in html and 'id="id_custom.budget_error"' in html
    assert (Contact.all_objects.count(), Tag.objects.count(), AuditEntry.objects.count()) == before


def test_edit_refuses_a_stale_version(crm, web_client_for):
    contact = crm.owners_contact
    services.contact_update(actor=crm.admin, contact=contact, changes={"job_title": "CEO"})
    response = web_client_for(crm.owner).post(
        reverse("contacts:contact_edit", args=[contact.pk]),
        {"first_name": "Mine", "expected_version": 1, "emails-0-value": "client@example.com"},
    )
    assert response.status_code == 422 and "changed by someone else" in response.content.decode()
    contact.refresh_from_db()
    assert contact.first_name == "Owner's"


def test_assigning_needs_the_assign_permission(crm, web_client_for):
    client = web_client_for(crm.rep)
    html = client.get(reverse("contacts:contact_new")).content.decode()
    assert re.search(r'<select[^>]*name="owner"[^>]*disabled', html)
    response = client.post(reverse("contacts:contact_new"), {"first_name": "Mine", "owner": crm.teammate.pk})
    assert response.status_code == 302
    assert Contact.objects.get(first_name="Mine").owner == crm.rep


# ----------------------------------------------------------------------------- list, filters, paging


def test_list_filters_columns_and_sorting(crm, web_client_for):
    client = web_client_for(crm.owner)
    vip = Tag.objects.get(name="VIP")
    response = client.get(reverse("contacts:contact_list"), {"tag": vip.pk, "columns": "tags,email"})
    assert [r.record for r in response.context["rows"]] == [crm.owners_contact]
    assert [c.key for c in response.context["columns"]] == ["tags", "email"]
    html = response.content.decode()
    assert html.index('data-column="tags"') < html.index('data-column="email"')
    mine = client.get(reverse("contacts:contact_list"), {"owner": "me"}).context["rows"]
    assert [r.record for r in mine] == [crm.owners_contact]
    names = [
        r.record.first_name
        for r in client.get(reverse("contacts:contact_list"), {"ordering": "-name"}).context["rows"]
    ]
    assert names == sorted(names, reverse=True)
    bad = client.get(reverse("contacts:contact_list"), {"ordering": "bogus"})
    assert bad.status_code == 422 and "ordering" in bad.context["errors"]


def test_calendar_dates_in_the_query_become_iso(crm, web_client_for):
    account_services.member_set_language(member=crm.owner, language="fa")
    client = web_client_for(crm.owner)
    response = client.get(reverse("contacts:contact_list"), {"created_from": "۱۴۰۳/۰۱/۰۱"})
    assert response.status_code == 302 and "created_from=2024-03-20" in response.headers["Location"]
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and "۱۴۰۳/۰۱/۰۱" in page.content.decode()


def test_keyset_pages_forwards_and_back(crm, web_client_for):
    for i in range(60):
        make_contact(crm.owner, f"Person {i:02d}", "")
    client = web_client_for(crm.owner)
    first = client.get(reverse("contacts:contact_list"))
    assert len(first.context["rows"]) == 50 and first.context["page"].previous_cursor is None
    second = client.get(reverse("contacts:contact_list"), {"cursor": first.context["page"].next_cursor})
    assert second.context["page"].next_cursor is None and second.context["page"].previous_cursor
    back = client.get(reverse("contacts:contact_list"), {"before": second.context["page"].previous_cursor})
    assert [r.record.pk for r in back.context["rows"]] == [r.record.pk for r in first.context["rows"]]
    assert back.context["page"].previous_cursor is None
    # With JavaScript the page links fetch only the results (and put the page in the address bar).
    link = re.search(r'<a [^>]*rel="next"[^>]*>', first.content.decode()).group(0)
    assert 'hx-target="#pv-results"' in link and 'hx-push-url="true"' in link
    url = re.search(r'hx-get="([^"]+)"', link).group(1).replace("&amp;", "&")
    partial = client.get(reverse("contacts:contact_list") + url, HTTP_HX_TARGET="pv-results", **HX)
    assert "<html" not in partial.content.decode()
    html = partial.content.decode()
    assert all(reverse("contacts:contact_detail", args=[r.record.pk]) in html for r in second.context["rows"])
    assert reverse("contacts:contact_detail", args=[first.context["rows"][0].record.pk]) not in html


def test_list_query_count_does_not_grow_with_rows(crm, web_client_for):
    customfields.custom_field_create(
        actor=crm.owner, data={"entity": "contact", "label": "Account manager", "field_type": "member"}
    )
    client = web_client_for(crm.owner)
    params = {"columns": "email,phone,company,owner,lifecycle_stage,tags,custom.account_manager,updated_at"}

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("contacts:contact_list"), params).status_code == 200
        return len(queries)

    Contact.objects.filter(workspace=crm.workspace).delete()
    for i in range(2):
        make_contact(
            crm.owner,
            f"A{i}",
            tags=["x"],
            company=crm.company,
            lifecycle_stage=crm.lead,
            custom={"account_manager": crm.rep.pk},
        )
    small = count()
    for i in range(38):
        make_contact(
            crm.manager,
            f"B{i}",
            owner=crm.rep,
            tags=["y", "z"],
            company=crm.subsidiary,
            lifecycle_stage=crm.customer,
            custom={"account_manager": crm.teammate.pk},
        )
    assert count() == small


def test_company_list_query_count_does_not_grow_with_rows(crm, web_client_for):
    client = web_client_for(crm.manager)
    params = {"columns": "domain,phone,parent,owner,tags,annual_revenue,created_at"}

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("contacts:company_list"), params).status_code == 200
        return len(queries)

    small = count()
    for i in range(40):
        make_company(
            crm.owner,
            f"Company {i}",
            parent=crm.company,
            owner=crm.rep,
            tags=["a", "b"],
            phones=["02112345678"],
        )
    assert count() == small


def test_no_script_fallbacks(crm, web_client_for):
    client = web_client_for(crm.rep)
    contact = crm.reps_contact
    inline = client.get(reverse("contacts:contact_inline", args=[contact.pk, "job_title"]), {"edit": "1"})
    assert inline.status_code == 200 and "<html" in inline.content.decode()
    saved = client.post(
        reverse("contacts:contact_inline", args=[contact.pk, "job_title"]), {"value": "Buyer"}
    )
    assert saved.status_code == 302
    note = services.note_create(actor=crm.rep, contact=contact, body="First")
    page = client.get(reverse("contacts:note_edit", args=[note.pk]))
    assert page.status_code == 200 and "<textarea" in page.content.decode()
    assert client.post(reverse("contacts:note_edit", args=[note.pk]), {"body": "Second"}).status_code == 302
    assert (
        client.post(reverse("contacts:contact_note_add", args=[contact.pk]), {"body": "Third"}).status_code
        == 302
    )
    quick = client.post(reverse("contacts:contact_quick_create"), {"quick-first_name": "Plain"})
    assert quick.status_code == 302
    # The filter form sent as it stands, every input empty (the page's script would leave them out).
    for data in ({"label": "Score", "field_type": "number"}, {"label": "Notes", "field_type": "text"}):
        customfields.custom_field_create(
            actor=crm.owner, data={"entity": "contact", "filterable": True, **data}
        )
    form = client.get(reverse("contacts:contact_list")).context["filter_form"]
    empty = {name: "" for name in form.fields}
    assert any(name.startswith("custom.") for name in empty)
    listed = client.get(reverse("contacts:contact_list"), empty)
    assert listed.status_code == 200 and not listed.context["errors"]
    assert len(listed.context["rows"]) == len(client.get(reverse("contacts:contact_list")).context["rows"])
    assert (
        Note.objects.filter(contact=contact).count() == 2
        and Contact.objects.filter(first_name="Plain").exists()
    )


def test_htmx_partials_and_count(crm, web_client_for):
    client = web_client_for(crm.owner)
    results = client.get(reverse("contacts:contact_list"), HTTP_HX_TARGET="pv-results", **HX)
    html = results.content.decode()
    assert results.status_code == 200 and "<html" not in html and 'id="pv-results"' in html
    count = client.get(reverse("contacts:contact_count"), {"tag": Tag.objects.get(name="VIP").pk})
    assert count.content.decode() == "1 contact"
    assert client.get(reverse("contacts:contact_count")).content.decode() == "4 contacts"


def test_quick_create_with_htmx(crm, web_client_for):
    client = web_client_for(crm.rep)
    ok = client.post(
        reverse("contacts:contact_quick_create"),
        {"quick-first_name": "Quick", "quick-phone": "0935 123 4567"},
        **HX,
    )
    assert ok.status_code == 200 and "contacts-changed" in ok.headers["HX-Trigger"]
    contact = Contact.objects.get(first_name="Quick")
    assert contact.phone == "+989351234567" and contact.owner == crm.rep
    assert reverse("contacts:contact_detail", args=[contact.pk]) in ok.content.decode()
    bad = client.post(reverse("contacts:contact_quick_create"), {"quick-email": "not-an-address"}, **HX)
    assert bad.status_code == 422 and "HX-Trigger" not in bad.headers
    assert 'id="id_quick-email_error"' in bad.content.decode()


# ----------------------------------------------------------------------------- bulk actions


def _bulk(client, action, ids, **extra):
    return client.post(
        reverse("contacts:contact_bulk"), {"action": action, "ids": ids, "next": "/contacts/?tag=1", **extra}
    )


def test_bulk_skips_rows_the_member_may_not_change(crm, web_client_for):
    client = web_client_for(crm.rep)
    ids = [crm.reps_contact.pk, crm.teammates_contact.pk, crm.other_contact.pk]
    response = _bulk(client, "add_tag", ids, tag_name="Hot")
    assert response.status_code == 302 and response.headers["Location"] == "/contacts/?tag=1"
    message = next(str(m) for m in response.wsgi_request._messages)
    assert message.startswith("1 changed, 0 already so, 2 skipped")
    assert [t.name for t in crm.reps_contact.tags.order_by("name")] == ["Hot", "North"]
    assert not crm.teammates_contact.tags.exists() and not crm.other_contact.tags.exists()
    _bulk(client, "delete", ids)
    assert Contact.all_objects.get(pk=crm.reps_contact.pk).deleted_at is not None
    assert Contact.objects.filter(pk=crm.teammates_contact.pk).exists()


def test_bulk_assign_lifecycle_and_remove_tag(crm, web_client_for):
    client = web_client_for(crm.manager)
    ids = [crm.reps_contact.pk, crm.teammates_contact.pk, crm.owners_contact.pk]
    _bulk(client, "set_lifecycle", ids, lifecycle_stage=crm.customer.pk)
    stages = dict(Contact.objects.filter(pk__in=ids).values_list("pk", "lifecycle_stage"))
    assert stages == {
        crm.reps_contact.pk: crm.customer.pk,
        crm.teammates_contact.pk: crm.customer.pk,
        crm.owners_contact.pk: None,
    }  # the owner's contact is outside the manager's team
    _bulk(client, "assign_owner", ids, owner=crm.teammate.pk)
    assert Contact.objects.get(pk=crm.reps_contact.pk).owner == crm.teammate
    north = Tag.objects.get(name="North")
    _bulk(client, "remove_tag", ids, tag=north.pk)
    assert not crm.reps_contact.tags.exists()
    # A sales rep has no assign permission: the action is not offered and refused.
    rep = web_client_for(crm.rep)
    assert _bulk(rep, "assign_owner", [crm.reps_contact.pk], owner=crm.rep.pk).status_code == 302
    assert Contact.objects.get(pk=crm.reps_contact.pk).owner == crm.teammate


def test_bulk_refused_without_any_permission(crm, web_client_for):
    response = _bulk(web_client_for(crm.read_only), "delete", [crm.reps_contact.pk])
    assert response.status_code == 403
    assert Contact.objects.filter(pk=crm.reps_contact.pk).exists()


# ----------------------------------------------------------------------------- contact page: inline edits, notes


def test_inline_edit_with_htmx(crm, web_client_for):
    client = web_client_for(crm.rep)
    contact = crm.reps_contact
    url = reverse("contacts:contact_inline", args=[contact.pk, "job_title"])
    editing = client.get(url, {"edit": "1"}, **HX)
    assert editing.status_code == 200 and 'name="value"' in editing.content.decode()
    saved = client.post(url, {"value": "Buyer", "expected_version": contact.version}, **HX)
    assert (
        saved.status_code == 200
        and "Buyer" in saved.content.decode()
        and 'name="value"' not in saved.content.decode()
    )
    contact.refresh_from_db()
    assert contact.job_title == "Buyer"
    stage = client.post(
        reverse("contacts:contact_inline", args=[contact.pk, "lifecycle_stage"]),
        {"value": crm.customer.pk, "expected_version": contact.version},
        **HX,
    )
    assert stage.status_code == 200 and "Customer" in stage.content.decode()
    events = client.get(reverse("contacts:contact_timeline", args=[contact.pk]), **HX).content.decode()
    assert 'id="pv-events"' in events
    assert "<ins>Buyer</ins>" in events and "<html" not in events
    stale = client.post(url, {"value": "Old", "expected_version": 1}, **HX)
    assert stale.status_code == 422 and "changed by someone else" in stale.content.decode()
    # The owner field needs the assign permission, which a sales rep lacks.
    assert (
        client.get(reverse("contacts:contact_inline", args=[contact.pk, "owner"]), {"edit": "1"}).status_code
        == 403
    )
    assert client.get(reverse("contacts:contact_inline", args=[contact.pk, "nope"])).status_code == 404


def test_notes_add_edit_delete_follow_the_note_permission(crm, web_client_for):
    contact = crm.teammates_contact
    rep, owner = web_client_for(crm.rep), web_client_for(crm.owner)
    added = rep.post(
        reverse("contacts:contact_note_add", args=[contact.pk]), {"body": "Called, wants a quote"}, **HX
    )
    assert added.status_code == 200 and "Called, wants a quote" in added.content.decode()
    note = Note.objects.get(contact=contact)
    assert note.author == crm.rep
    empty = rep.post(reverse("contacts:contact_note_add", args=[contact.pk]), {"body": "  "}, **HX)
    assert empty.status_code == 422
    edited = rep.post(
        reverse("contacts:note_edit", args=[note.pk]), {"body": "Sent the quote", "expected_version": 1}, **HX
    )
    assert edited.status_code == 200 and "Sent the quote" in edited.content.decode()
    owners_note = services.note_create(actor=crm.owner, contact=contact, body="Owner's note")
    assert (
        rep.post(reverse("contacts:note_edit", args=[owners_note.pk]), {"body": "x"}, **HX).status_code == 403
    )
    assert rep.post(reverse("contacts:note_delete", args=[owners_note.pk]), **HX).status_code == 403
    page = rep.get(reverse("contacts:contact_detail", args=[contact.pk])).content.decode()
    assert reverse("contacts:note_edit", args=[note.pk]) in page
    assert reverse("contacts:note_edit", args=[owners_note.pk]) not in page
    deleted = rep.post(reverse("contacts:note_delete", args=[note.pk]), **HX)
    assert deleted.status_code == 200 and deleted.content == b""
    assert Note.all_objects.get(pk=note.pk).deleted_at is not None
    assert owner.post(reverse("contacts:note_delete", args=[owners_note.pk]), **HX).status_code == 200


def test_timeline_shows_changes_by_name(crm, web_client_for):
    contact = crm.reps_contact
    services.contact_update(
        actor=crm.manager, contact=contact, changes={"lifecycle_stage": crm.customer, "owner": crm.teammate}
    )
    html = (
        web_client_for(crm.owner).get(reverse("contacts:contact_detail", args=[contact.pk])).content.decode()
    )
    timeline = html[html.index('id="pv-timeline"') :]
    assert "<ins>Customer</ins>" in timeline and f"<ins>{crm.teammate.user.display_name}</ins>" in timeline


def test_delete_moves_to_recycle_bin(crm, web_client_for):
    response = web_client_for(crm.owner).post(
        reverse("contacts:contact_delete", args=[crm.owners_contact.pk])
    )
    assert response.status_code == 302 and response.headers["Location"] == reverse("contacts:contact_list")
    assert Contact.all_objects.get(pk=crm.owners_contact.pk).deleted_at is not None
    bin_page = web_client_for(crm.owner).get(reverse("accounts:recycle_bin")).content.decode()
    assert "Owner&#x27;s Client" in bin_page or "Owner's Client" in bin_page


# ----------------------------------------------------------------------------- companies


def test_company_page_lists_people_and_subsidiaries(crm, web_client_for):
    html = (
        web_client_for(crm.rep)
        .get(reverse("contacts:company_detail", args=[crm.company.pk]))
        .content.decode()
    )
    people = html[html.index('id="pv-company-people"') :]
    assert "Owner&#x27;s Client" in people
    assert "Parsian Kish" in html[html.index('id="pv-subsidiaries"') :]
    assert f"?company={crm.company.pk}" in html


def test_company_create_and_edit(crm, web_client_for):
    client = web_client_for(crm.owner)
    response = client.post(
        reverse("contacts:company_new"),
        {
            "name": "Pasargad",
            "website": "www.pasargad.example",
            "parent": crm.company.pk,
            "employees": "۱۲",
            "phones-0-value": "021 1234 5678",
            "tags": "Partner",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    company = Company.objects.get(name="Pasargad")
    assert company.domain == "pasargad.example" and company.parent == crm.company and company.employees == 12
    assert company.phones[0]["number"] == "+982112345678"
    bad = client.post(
        reverse("contacts:company_edit", args=[company.pk]), {"name": "", "expected_version": 1}
    )
    assert bad.status_code == 422 and "name" in bad.context["form"].errors
    listed = client.get(reverse("contacts:company_list"), {"tag": Tag.objects.get(name="Partner").pk})
    assert [r.record for r in listed.context["rows"]] == [company]


# ----------------------------------------------------------------------------- search


def test_top_bar_search(crm, web_client_for):
    contact = make_contact(crm.owner, "علی", "کریمی")
    client = web_client_for(crm.rep)
    response = client.get(reverse("contacts:search"), {"q": "علي"}, **HX)
    html = response.content.decode()
    assert "<html" not in html and reverse("contacts:contact_detail", args=[contact.pk]) in html
    other = client.get(reverse("contacts:search"), {"q": "Other"}, **HX).content.decode()
    assert reverse("contacts:contact_detail", args=[crm.other_contact.pk]) not in other
    full = client.get(reverse("contacts:search"), {"q": "Parsian"})
    assert "<html" in full.content.decode() and "Parsian Kish" in full.content.decode()


# ----------------------------------------------------------------------------- settings screens


def test_tag_settings(crm, web_client_for):
    vip, north = Tag.objects.get(name="VIP"), Tag.objects.get(name="North")
    rep, manager = web_client_for(crm.rep), web_client_for(crm.manager)
    page = rep.get(reverse("contacts:tags"))
    assert page.status_code == 200 and page.context["merge_form"] is None
    assert (
        rep.post(reverse("contacts:tag_edit", args=[vip.pk]), {"name": "X", "color": "#000000"}).status_code
        == 403
    )
    assert rep.post(reverse("contacts:tag_delete", args=[vip.pk])).status_code == 403
    renamed = manager.post(
        reverse("contacts:tag_edit", args=[vip.pk]),
        {"name": "Very important", "color": "#198754", "expected_version": 1},
    )
    assert renamed.status_code == 302
    vip.refresh_from_db()
    assert (vip.name, vip.color) == ("Very important", "#198754")
    merged = manager.post(reverse("contacts:tag_merge"), {"sources": [north.pk], "target": vip.pk})
    assert merged.status_code == 302 and not Tag.objects.filter(pk=north.pk).exists()
    assert crm.reps_contact.tags.get() == vip
    rows = manager.get(reverse("contacts:tags")).context["rows"]
    assert [(r["tag"].name, r["contacts"]) for r in rows] == [("Very important", 2)]
    manager.post(reverse("contacts:tag_delete", args=[vip.pk]))
    assert not Tag.objects.filter(workspace=crm.workspace).exists()


def test_custom_field_settings(crm, web_client_for):
    owner = web_client_for(crm.owner)
    response = owner.post(
        reverse("contacts:custom_fields") + "?entity=contact",
        {
            "label": "Customer tier",
            "field_type": "choice",
            "options-0-label": "Gold",
            "options-1-label": "Silver",
        },
    )
    assert response.status_code == 302
    field = CustomField.objects.get(key="customer_tier")
    assert field.choices == [{"value": "gold", "label": "Gold"}, {"value": "silver", "label": "Silver"}]
    form = owner.get(reverse("contacts:contact_new")).content.decode()
    assert 'name="custom.customer_tier"' in form and ">Silver</option>" in form
    edit = owner.post(
        reverse("contacts:custom_field_edit", args=[field.pk]),
        {
            "label": "Tier",
            "options-0-value": "gold",
            "options-0-label": "Golden",
            "options-1-value": "silver",
            "options-1-label": "Silver",
            "required": "on",
            "position": "3",
            "expected_version": 1,
        },
    )
    assert edit.status_code == 302
    field.refresh_from_db()
    assert (
        field.label == "Tier" and field.required and field.choices[0] == {"value": "gold", "label": "Golden"}
    )
    no_options = owner.post(reverse("contacts:custom_fields"), {"label": "Size", "field_type": "choice"})
    assert no_options.status_code == 422 and "options" in no_options.context["form"].errors
    assert (
        web_client_for(crm.read_only)
        .post(reverse("contacts:custom_fields"), {"label": "X", "field_type": "text"})
        .status_code
        == 403
    )
    assert (
        web_client_for(crm.rep).post(reverse("contacts:custom_field_delete", args=[field.pk])).status_code
        == 403
    )
    owner.post(reverse("contacts:custom_field_delete", args=[field.pk]))
    assert CustomField.all_objects.get(pk=field.pk).deleted_at is not None


def test_lifecycle_settings(crm, web_client_for):
    owner = web_client_for(crm.owner)
    assert owner.post(reverse("contacts:lifecycle"), {"name": "Evangelist"}).status_code == 302
    stages = list(LifecycleStage.objects.filter(workspace=crm.workspace))
    assert stages[-1].name == "Evangelist"
    owner.post(reverse("contacts:lifecycle_move", args=[stages[-1].pk]), {"direction": "up"})
    keys = list(LifecycleStage.objects.filter(workspace=crm.workspace).values_list("key", flat=True))
    assert keys[-2:] == ["evangelist", "churned"]
    owner.post(
        reverse("contacts:lifecycle_edit", args=[crm.lead.pk]),
        {"name": "Warm lead", "position": crm.lead.position},
    )
    crm.lead.refresh_from_db()
    assert crm.lead.label == "Warm lead"
    services.contact_update(
        actor=crm.owner, contact=crm.owners_contact, changes={"lifecycle_stage": crm.lead}
    )
    owner.post(reverse("contacts:lifecycle_delete", args=[crm.lead.pk]))
    assert not LifecycleStage.objects.filter(pk=crm.lead.pk).exists()
    assert Contact.objects.get(pk=crm.owners_contact.pk).lifecycle_stage is None
    rep = web_client_for(crm.rep)
    assert rep.get(reverse("contacts:lifecycle")).status_code == 200
    assert rep.post(reverse("contacts:lifecycle"), {"name": "Nope"}).status_code == 403
    assert rep.post(reverse("contacts:lifecycle_delete", args=[crm.customer.pk])).status_code == 403


def test_navigation_shows_what_the_role_allows(crm, web_client_for):
    html = web_client_for(crm.rep).get(reverse("home")).content.decode()
    assert reverse("contacts:contact_list") in html and 'id="pv-search"' in html
    settings_html = web_client_for(crm.rep).get(reverse("contacts:tags")).content.decode()
    assert (
        reverse("contacts:custom_fields") in settings_html and reverse("contacts:lifecycle") in settings_html
    )
    role = crm.read_only.role
    role.permissions = {k: v for k, v in role.permissions.items() if k not in ("contact", "company")}
    role.save()
    crm.read_only.refresh_from_db()
    client = web_client_for(crm.read_only)
    html = client.get(reverse("home")).content.decode()
    assert reverse("contacts:contact_list") not in html and 'id="pv-search"' not in html
    assert client.get(reverse("contacts:contact_list")).status_code == 403


def test_a_company_the_member_may_not_see_is_shown_nowhere(crm, web_client_for, api_client_for):
    """One rule on every output (list, detail, API, export): a contact's company — and a company's parent —
    shows only when the member may see it and it is not in the recycle bin."""
    role = crm.rep.role
    permissions = {
        **role.permissions,
        "company": {**role.permissions.get("company", {}), "view": "own"},
        "contact": {**role.permissions.get("contact", {}), "export": "own"},
    }
    account_services.role_update(actor=crm.owner, role=role, changes={"permissions": permissions})
    crm.rep.refresh_from_db()
    secret = make_company(crm.owner, "Secret Holdings")
    mine = make_company(crm.owner, "Rep Parent Co", owner=crm.rep)
    child = make_company(crm.owner, "Rep Child Co", owner=crm.rep, parent=secret)
    contact = make_contact(crm.owner, "Sara", "Secretive", owner=crm.rep, company=secret)
    visible = make_contact(crm.owner, "Sara", "Open", owner=crm.rep, company=mine)
    client = web_client_for(crm.rep)
    rows = client.get(reverse("contacts:contact_list"), {"columns": ["company"], "search": "sara"})
    html = rows.content.decode()
    assert "Secret Holdings" not in html and "Rep Parent Co" in html
    detail = client.get(reverse("contacts:contact_detail", args=[contact.pk])).content.decode()
    assert "Secret Holdings" not in detail
    assert (
        "Rep Parent Co" in client.get(reverse("contacts:contact_detail", args=[visible.pk])).content.decode()
    )
    companies = client.get(reverse("contacts:company_list"), {"columns": ["parent"]}).content.decode()
    assert "Rep Child Co" in companies and "Secret Holdings" not in companies
    assert (
        "Secret Holdings"
        not in client.get(reverse("contacts:company_detail", args=[child.pk])).content.decode()
    )
    api = api_client_for(crm.rep)
    assert api.get(f"/api/v1/contacts/{contact.pk}").json()["company"] is None
    exported = client.get(reverse("contacts:contact_export"), {"format": "csv", "search": "secretive"})
    assert "Secret Holdings" not in b"".join(exported.streaming_content).decode("utf-8-sig")
    assert (
        "Secret Holdings" not in client.get(reverse("contacts:search"), {"q": "secretive"}).content.decode()
    )
    twin = make_contact(crm.owner, "Sara", "Secretive", owner=crm.rep)
    compare = client.get(reverse("contacts:contact_merge"), {"ids": f"{contact.pk},{twin.pk}"})
    assert compare.status_code == 200 and "Secret Holdings" not in compare.content.decode()
    # A company in the recycle bin is shown to nobody, not even the owner (its name stays out of the
    # timeline too).
    recycle.soft_delete(actor=crm.owner, record=mine)
    owner = web_client_for(crm.owner)
    owner_rows = owner.get(reverse("contacts:contact_list"), {"columns": ["company"]})
    assert "Rep Parent Co" not in owner_rows.content.decode()
    assert (
        "Rep Parent Co"
        not in owner.get(reverse("contacts:contact_detail", args=[visible.pk])).content.decode()
    )
    assert "Rep Parent Co" not in owner.get(reverse("contacts:search"), {"q": "open"}).content.decode()
