"""Behaviour of the contacts API (ARCHITECTURE §4-§6): the shapes, versions, idempotency, validation naming
the field, hidden fields everywhere a record is shown, bulk calls, search, keyset pages and query counts."""

from __future__ import annotations

import base64
import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from peyvand.accounts import services as account_services
from peyvand.accounts.tests.test_api_matrix import assert_envelope
from peyvand.contacts import services
from peyvand.contacts.models import Company, Contact, ContactTag, LifecycleStage, Note
from peyvand.contacts.schemas import MAX_BULK
from peyvand.contacts.tests.factories import make_company, make_contact
from peyvand.contacts.tests.test_api_matrix import assert_unchanged, db_state
from peyvand.core import customfields, recycle
from peyvand.core import tags as tag_services
from peyvand.core.models import AuditEntry, CustomField, OutboxEvent, Tag

pytestmark = pytest.mark.django_db

API = "/api/v1"
JSON = "application/json"

CONTACT_KEYS = {
    "id",
    "version",
    "first_name",
    "last_name",
    "display_name",
    "email",
    "phone",
    "emails",
    "phones",
    "job_title",
    "company",
    "owner",
    "birthday",
    "anniversary",
    "addresses",
    "website",
    "social",
    "preferred_language",
    "preferred_channel",
    "lifecycle_stage",
    "source",
    "email_consent",
    "email_consent_at",
    "email_consent_source",
    "sms_consent",
    "sms_consent_at",
    "sms_consent_source",
    "tags",
    "custom",
    "created_at",
    "updated_at",
}


def post(client, path, body=None, **headers):
    return client.post(path, body if body is not None else {}, content_type=JSON, **headers)


def patch(client, path, body, **headers):
    return client.patch(path, body, content_type=JSON, **headers)


@pytest.fixture
def iran(world):
    """Acme set to Iran, so national phone numbers (0912…) are read as Iranian."""
    account_services.workspace_update(actor=world.owner, workspace=world.workspace, changes={"country": "IR"})
    world.owner.workspace.refresh_from_db()
    return world


def _field(world, key, field_type="text", entity="contact", **extra):
    return customfields.custom_field_create(
        actor=world.owner,
        data={"entity": entity, "label": key.title(), "key": key, "field_type": field_type, **extra},
    )


# ---------------------------------------------------------------- create, read, update: the shapes


def test_create_contact_returns_the_whole_record_audited_and_announced(iran, api_client_for):
    services.lifecycle_ensure_defaults(iran.workspace.pk)
    lead = LifecycleStage.objects.get(workspace=iran.workspace, key="lead")
    company = make_company(iran.owner, "Parsian")
    _field(iran, "budget", "number")
    _field(iran, "newsletter", "boolean")
    client = api_client_for(iran.rep)

    response = post(
        client,
        f"{API}/contacts",
        {
            "first_name": " علي ",
            "last_name": "رضايي",
            "emails": [{"email": "Ali@Example.COM", "label": "work"}, "ali.home@example.com"],
            "phones": ["۰۹۱۲ ۱۲۳ ۴۵۶۷", {"number": "+66 81 234 5678", "label": "mobile", "is_primary": True}],
            "company_id": company.pk,
            "lifecycle_stage_id": lead.pk,
            "birthday": "1990-03-21",
            "addresses": [{"label": "home", "city": "تهران"}],
            "social": {"telegram": "ali_r"},
            "tags": ["VIP", "vip "],
            "custom": {"budget": "۱۲۰۰", "newsletter": True},
            "sms_consent": "granted",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == CONTACT_KEYS
    assert body["version"] == 1
    assert body["display_name"] == "علي رضايي"
    assert body["email"] == "Ali@example.com"
    assert body["phone"] == "+66812345678"
    assert body["phones"] == [
        {"number": "+989121234567", "label": "", "is_primary": False},
        {"number": "+66812345678", "label": "mobile", "is_primary": True},
    ]
    assert [e["email"] for e in body["emails"]] == ["Ali@example.com", "ali.home@example.com"]
    assert body["company"] == {"id": company.pk, "name": "Parsian"}
    assert body["owner"]["id"] == iran.rep.pk  # the caller, by default
    assert body["lifecycle_stage"] == {"id": lead.pk, "key": "lead", "label": "Lead"}
    assert body["birthday"] == "1990-03-21"
    assert body["addresses"][0]["city"] == "تهران"
    assert [t["name"] for t in body["tags"]] == ["VIP"]
    assert body["custom"] == {"budget": 1200, "newsletter": True}
    assert body["sms_consent"] == "granted" and body["sms_consent_at"] is not None

    contact = Contact.objects.get(pk=body["id"])
    assert contact.workspace_id == iran.workspace.pk
    entry = AuditEntry.objects.get(entity="contact", record_id=str(contact.pk), action="create")
    assert (entry.channel, entry.actor_id) == ("api", iran.rep.pk)
    assert OutboxEvent.objects.filter(name="contact.created", record_id=str(contact.pk)).exists()

    assert client.get(f"{API}/contacts/{contact.pk}").json() == body


def test_patch_changes_only_what_is_sent_and_null_clears(iran, api_client_for):
    company = make_company(iran.owner, "Parsian")
    contact = make_contact(
        iran.owner, emails=["a@example.com"], phones=["09121234567"], company=company, tags=["VIP"]
    )
    client = api_client_for(iran.owner)

    response = patch(
        client,
        f"{API}/contacts/{contact.pk}",
        {"job_title": "CEO", "company_id": None, "phones": None, "tags": ["Lead", "VIP"]},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["version"] == 2
    assert (body["job_title"], body["company"], body["phones"], body["phone"]) == ("CEO", None, [], "")
    assert body["emails"][0]["email"] == "a@example.com"  # not sent: kept
    assert [t["name"] for t in body["tags"]] == ["Lead", "VIP"]
    entry = AuditEntry.objects.filter(entity="contact", action="update").latest("id")
    assert entry.channel == "api"
    assert entry.changes["phones"] == [["+989121234567"], []]

    # saving the same values changes nothing
    before = db_state()
    response = patch(client, f"{API}/contacts/{contact.pk}", {"job_title": "CEO", "tags": ["VIP", "Lead"]})
    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert_unchanged(before)


def test_delete_moves_to_the_bin_and_restore_brings_back(world, api_client_for):
    contact = make_contact(world.owner)
    client = api_client_for(world.owner)
    assert client.delete(f"{API}/contacts/{contact.pk}").status_code == 204
    assert client.get(f"{API}/contacts/{contact.pk}").status_code == 404
    assert contact.pk not in [c["id"] for c in client.get(f"{API}/contacts").json()["items"]]
    assert Contact.all_objects.get(pk=contact.pk).deleted_at is not None
    # deleting again: it is not there any more
    assert client.delete(f"{API}/contacts/{contact.pk}").status_code == 404

    response = post(client, f"{API}/contacts/{contact.pk}/restore")
    assert response.status_code == 200
    assert response.json()["version"] == 3
    assert client.get(f"{API}/contacts/{contact.pk}").status_code == 200
    assert post(client, f"{API}/contacts/{contact.pk}/restore").status_code == 404


def test_company_crud_people_and_parent(iran, api_client_for):
    client = api_client_for(iran.owner)
    parent = post(client, f"{API}/companies", {"name": "Holding"}).json()
    response = post(
        client,
        f"{API}/companies",
        {
            "name": "  Parsian   Trading ",
            "website": "www.Parsian.example/about",
            "phones": ["021 8888 1234"],
            "parent_id": parent["id"],
            "annual_revenue": "1250000.50",
            "employees": 40,
            "company_type": "customer",
            "tags": ["Key account"],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Parsian Trading"
    assert body["domain"] == "parsian.example"
    assert body["phones"] == [{"number": "+982188881234", "label": "", "is_primary": True}]
    assert body["parent"] == {"id": parent["id"], "name": "Holding"}
    assert body["annual_revenue"] in ("1250000.50", 1250000.5)
    assert [t["name"] for t in body["tags"]] == ["Key account"]

    person = make_contact(iran.owner, "Sara", company=Company.objects.get(pk=body["id"]))
    make_contact(iran.owner, "Elsewhere")
    people = client.get(f"{API}/companies/{body['id']}/people").json()
    assert [p["id"] for p in people["items"]] == [person.pk]
    # the contact list's filters apply, but never widen past the company
    other = make_company(iran.owner, "Other")
    assert client.get(f"{API}/companies/{body['id']}/people", {"company": other.pk}).json()["items"] != []
    assert client.get(f"{API}/companies/{body['id']}/people", {"search": "nobody"}).json()["items"] == []

    response = patch(client, f"{API}/companies/{body['id']}", {"name": "Pasargad", "parent_id": None})
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["parent"]) == ("Pasargad", None)
    # a company cannot be its own ancestor
    assert patch(client, f"{API}/companies/{body['id']}", {"parent_id": parent["id"]}).status_code == 200
    response = patch(client, f"{API}/companies/{parent['id']}", {"parent_id": body["id"]})
    assert response.status_code == 422
    assert "parent" in assert_envelope(response, "validation_error")["fields"]

    subsidiary = make_company(iran.owner, "Branch", parent=Company.objects.get(pk=body["id"]))
    assert client.delete(f"{API}/companies/{body['id']}").status_code == 204
    assert client.get(f"{API}/companies/{body['id']}").status_code == 404
    # while the company is in the recycle bin, its people show no company (and link back when restored)
    assert client.get(f"{API}/contacts/{person.pk}").json()["company"] is None
    assert client.get(f"{API}/companies/{subsidiary.pk}").json()["parent"] is None
    assert post(client, f"{API}/companies/{body['id']}/restore").status_code == 200
    assert client.get(f"{API}/contacts/{person.pk}").json()["company"]["id"] == body["id"]


# ---------------------------------------------------------------- validation names the field


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"first_name": "A", "phones": ["12"]}, "phones"),
        ({"first_name": "A", "phones": [{"number": "not a number"}]}, "phones"),
        ({"first_name": "A", "emails": ["not-an-address"]}, "emails"),
        ({"first_name": "A", "custom": {"x": 1}}, "custom.x"),
        ({"first_name": "A", "custom": {"budget": "lots"}}, "custom.budget"),
        ({"first_name": "A", "nickname": "Al"}, "nickname"),
        (
            {"first_name": "A", "emails": [{"email": "a@example.com", "kind": "work"}]},
            "emails.0.kind",
        ),
        ({"first_name": "A", "social": {"myspace": "al"}}, "social"),
        ({"first_name": "A", "website": "not a site"}, "website"),
        ({"first_name": "A", "email_consent": "maybe"}, "email_consent"),
        ({"first_name": "A", "preferred_channel": "pigeon"}, "preferred_channel"),
        ({"first_name": "A", "birthday": "1990-02-30"}, "birthday"),
        ({"first_name": "A", "company_id": 999999}, "company_id"),
        ({"first_name": "A", "owner_id": 999999}, "owner_id"),
        ({"first_name": "A", "lifecycle_stage_id": 999999}, "lifecycle_stage_id"),
        ({"first_name": "A", "addresses": [{"planet": "Mars"}]}, "addresses.0.planet"),
        ({"first_name": 5}, "first_name"),
        ({"first_name": "A", "tags": [" "]}, "name"),
        ({"job_title": "CEO"}, "first_name"),
        ({"first_name": "A\x00"}, "first_name"),
        ({"first_name": "A", "custom": {"budget": True}}, "custom.budget"),
    ],
)
def test_invalid_contact_input_is_422_naming_the_field(iran, api_client_for, body, field):
    _field(iran, "budget", "number")
    client = api_client_for(iran.owner)
    before = db_state()
    response = post(client, f"{API}/contacts", body)
    assert response.status_code == 422, response.content
    fields = assert_envelope(response, "validation_error")["fields"]
    assert field in fields, fields
    assert_unchanged(before)


def test_a_phone_without_a_country_needs_its_code(world, api_client_for):
    client = api_client_for(world.owner)
    response = post(client, f"{API}/contacts", {"first_name": "A", "phones": ["09121234567"]})
    assert response.status_code == 422
    assert "+98" in " ".join(response.json()["fields"]["phones"])
    assert (
        post(client, f"{API}/contacts", {"first_name": "A", "phones": ["+989121234567"]}).status_code == 201
    )


def test_unknown_query_values_are_422_naming_the_parameter(world, api_client_for):
    client = api_client_for(world.owner)
    for params, field in [
        ({"ordering": "shoe_size"}, "ordering"),
        ({"tag": "x"}, "tag"),
        ({"tag": str(2**70)}, "tag"),
        ({"owner": "somebody"}, "owner"),
        ({"company": "99999999999999999999999"}, "company"),
        ({"tags_mode": "some"}, "tags_mode"),
        ({"email_consent": "perhaps"}, "email_consent"),
        ({"created_from": "yesterday"}, "created_from"),
        ({"created_to": "9999-12-31"}, "created_to"),
        ({"updated_from": "0001-01-01"}, "updated_from"),
        ({"custom.nope": "1"}, "custom.nope"),
        ({"with_total": "perhaps"}, "with_total"),
    ]:
        response = client.get(f"{API}/contacts", params)
        assert response.status_code == 422, (params, response.content)
        assert field in assert_envelope(response, "validation_error")["fields"], params


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


# Wrong for every ordering (a cursor of a text order may hold any value: it is only a position).
BAD_CURSORS = [
    "not a cursor!",
    _cursor("{}"),
    _cursor('["x", "y", 3]'),
    _cursor('[[1], "x"]'),
    _cursor("[]"),
    _cursor("[null, 1]"),  # a valid id: the value itself must be refused
    _cursor("[[1], 1]"),
    _cursor('[{"a": 1}, 1]'),
]


@pytest.mark.parametrize(
    "path",
    ["contacts", "companies", "tags", "custom-fields", "lifecycle-stages", "contacts/{c}/notes"],
)
@pytest.mark.parametrize("ordering", ["name", "-created_at", "updated_at"])
def test_bad_cursor_or_limit_is_422(world, api_client_for, path, ordering):
    contact = make_contact(world.owner)
    client = api_client_for(world.owner)
    url = f"{API}/{path.format(c=contact.pk)}"
    for params, field in [({"cursor": c}, "cursor") for c in BAD_CURSORS] + [
        ({"limit": limit}, "limit") for limit in ("0", "201", "ten")
    ]:
        response = client.get(url, {**params, "ordering": ordering})
        assert response.status_code == 422, (params, response.content)
        assert field in assert_envelope(response, "validation_error")["fields"], params


# ---------------------------------------------------------------- versions


def _versioned(world):
    contact = make_contact(world.owner)
    company = make_company(world.owner)
    note = services.note_create(actor=world.owner, body="hello", contact=contact)
    tag = tag_services.tag_create(actor=world.owner, name="VIP")
    field = _field(world, "budget", "number")
    stage = services.lifecycle_stage_save(actor=world.owner, stage=None, name="Trial")
    return {
        "contact": (f"{API}/contacts/{contact.pk}", {"job_title": "CEO"}, contact, Contact.objects),
        "company": (f"{API}/companies/{company.pk}", {"industry": "Tea"}, company, Company.objects),
        "note": (f"{API}/notes/{note.pk}", {"body": "changed"}, note, Note.objects),
        "tag": (f"{API}/tags/{tag.pk}", {"color": "#123456"}, tag, Tag.objects),
        "custom_field": (f"{API}/custom-fields/{field.pk}", {"label": "Yearly"}, field, CustomField.objects),
        "stage": (f"{API}/lifecycle-stages/{stage.pk}", {"name": "Pilot"}, stage, LifecycleStage.objects),
    }


@pytest.mark.parametrize("target", ["contact", "company", "note", "tag", "custom_field", "stage"])
def test_stale_if_match_is_412_and_stale_body_version_is_409(world, api_client_for, target):
    path, change, record, manager = _versioned(world)[target]
    current = manager.get(pk=record.pk).version
    client = api_client_for(world.owner)

    before = db_state()
    response = patch(client, path, change, HTTP_IF_MATCH=str(current + 1))
    assert response.status_code == 412, response.content
    assert_envelope(response, "precondition_failed")
    response = patch(client, path, {**change, "expected_version": current + 1})
    assert response.status_code == 409
    assert_envelope(response, "conflict")
    response = patch(client, path, {**change, "expected_version": current}, HTTP_IF_MATCH=f'"{current + 5}"')
    assert response.status_code == 412
    response = patch(client, path, change, HTTP_IF_MATCH="soon")
    assert response.status_code == 422
    assert "If-Match" in assert_envelope(response, "validation_error")["fields"]
    assert_unchanged(before)

    response = patch(client, path, change, HTTP_IF_MATCH=f'W/"{current}"')
    assert response.status_code == 200, response.content
    assert response.json()["version"] == current + 1
    assert manager.get(pk=record.pk).version == current + 1
    assert patch(client, path, {**change, "expected_version": current}).status_code == 409


def test_two_editors_of_the_same_version_one_wins(world, api_client_for):
    contact = make_contact(world.owner)
    alice, bob = api_client_for(world.owner), api_client_for(world.admin)
    first = patch(alice, f"{API}/contacts/{contact.pk}", {"job_title": "CEO"}, HTTP_IF_MATCH="1")
    second = patch(bob, f"{API}/contacts/{contact.pk}", {"job_title": "CFO"}, HTTP_IF_MATCH="1")
    assert (first.status_code, second.status_code) == (200, 412)
    assert Contact.objects.get(pk=contact.pk).job_title == "CEO"


# ---------------------------------------------------------------- Idempotency-Key


def test_idempotency_key_replays_the_first_answer_and_creates_once(world, api_client_for):
    client = api_client_for(world.owner)
    key = {"HTTP_IDEMPOTENCY_KEY": "import-row-17"}
    body = {"first_name": "Sara", "emails": ["sara@example.com"], "tags": ["New"]}

    first = post(client, f"{API}/contacts", body, **key)
    again = post(client, f"{API}/contacts", body, **key)

    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert Contact.objects.filter(workspace=world.workspace, first_name="Sara").count() == 1
    record_id = str(first.json()["id"])
    assert AuditEntry.objects.filter(entity="contact", record_id=record_id).count() == 1
    assert OutboxEvent.objects.filter(name="contact.created", record_id=record_id).count() == 1
    assert Tag.objects.filter(workspace=world.workspace, name="New").count() == 1

    other_body = post(client, f"{API}/contacts", {**body, "first_name": "Zara"}, **key)
    assert other_body.status_code == 422
    assert_envelope(other_body, "idempotency_mismatch")
    # without a key, the same body is a second contact
    assert post(client, f"{API}/contacts", body).status_code == 201
    assert Contact.objects.filter(workspace=world.workspace, first_name="Sara").count() == 2


def test_idempotent_bulk_runs_once(world, api_client_for):
    client = api_client_for(world.owner)
    key = {"HTTP_IDEMPOTENCY_KEY": "bulk-1"}
    body = {"items": [{"create": {"first_name": "A"}}, {"create": {"first_name": "B"}}]}
    first = post(client, f"{API}/contacts/bulk", body, **key)
    again = post(client, f"{API}/contacts/bulk", body, **key)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert Contact.objects.filter(workspace=world.workspace).count() == 2


# ---------------------------------------------------------------- hidden fields


@pytest.fixture
def hidden(iran):
    """The sales rep role hides first names, e-mails, phones, birthdays, e-mail consent and one custom field;
    one contact of the rep's holds all of them."""
    _field(iran, "salary", "number")
    _field(iran, "shoe_size", "number")
    rules = {
        "contact": {
            "first_name": "hidden",
            "emails": "hidden",
            "phones": "hidden",
            "birthday": "hidden",
            "email_consent": "hidden",
            "custom.salary": "hidden",
            "job_title": "read_only",
        }
    }
    account_services.role_update(actor=iran.owner, role=iran.rep.role, changes={"field_rules": rules})
    iran.secret = make_contact(
        iran.owner,
        "Shirin",
        "Kamali",
        owner=iran.rep,
        emails=["shirin.secret@example.com"],
        phones=["09121112233"],
        birthday=datetime.date(1988, 7, 6),
        email_consent="granted",
        job_title="Buyer",
        custom={"salary": 987654, "shoe_size": 38},
    )
    services.note_create(actor=iran.owner, body="met at the fair", contact=iran.secret)
    services.contact_update(actor=iran.owner, contact=iran.secret, changes={"custom": {"salary": 999111}})
    return iran


SECRETS = (
    "Shirin",
    "shirin.secret",
    "+989121112233",
    "9121112233",
    "1988-07-06",
    "987654",
    "999111",
    "salary",
)


def _no_secrets(response):
    text = response.content.decode()
    leaked = [s for s in SECRETS if s in text]
    assert not leaked, leaked


def _assert_redacted(item, last_name="Kamali"):
    assert item["first_name"] is None
    assert item["display_name"] == last_name
    assert item["last_name"] == last_name
    assert (item["email"], item["emails"], item["phone"], item["phones"]) == (None, None, None, None)
    assert item["birthday"] is None
    assert (item["email_consent"], item["email_consent_at"], item["email_consent_source"]) == (
        None,
        None,
        None,
    )
    assert item["custom"] == {"shoe_size": 38}
    assert item["job_title"] == "Buyer"  # read-only is still shown


def test_hidden_fields_never_reach_the_member(hidden, api_client_for):
    rep = api_client_for(hidden.rep)
    pk = hidden.secret.pk
    detail = rep.get(f"{API}/contacts/{pk}")
    listing = rep.get(f"{API}/contacts", {"limit": 200})
    searched = rep.get(f"{API}/contacts", {"search": "kamali"})
    timeline = rep.get(f"{API}/contacts/{pk}/timeline")
    bulk = post(rep, f"{API}/contacts/bulk", {"items": [{"id": pk, "update": {"last_name": "Kamali-Rad"}}]})
    patched = patch(rep, f"{API}/contacts/{pk}", {"source": "fair"})
    for response in (detail, listing, searched, timeline, bulk, patched):
        assert response.status_code == 200, response.content
        _no_secrets(response)
    _assert_redacted(detail.json())
    (item,) = [i for i in listing.json()["items"] if i["id"] == pk]
    _assert_redacted(item)
    _assert_redacted(searched.json()["items"][0])
    _assert_redacted(patched.json(), "Kamali-Rad")
    (result,) = bulk.json()["results"]
    assert result["status"] == 200
    assert result["record"]["display_name"] == "Kamali-Rad"
    assert result["record"]["emails"] is None
    assert {item["kind"] for item in timeline.json()} == {"note", "audit"}

    # the owner (a locked role) still sees everything
    owner = api_client_for(hidden.owner).get(f"{API}/contacts/{pk}").json()
    assert owner["first_name"] == "Shirin"
    assert owner["custom"] == {"salary": 999111, "shoe_size": 38}


def test_hidden_and_read_only_fields_cannot_be_written(hidden, api_client_for):
    rep = api_client_for(hidden.rep)
    pk = hidden.secret.pk
    before = db_state()
    for body, field in (
        ({"job_title": "CEO"}, "job_title"),
        ({"emails": ["new@example.com"]}, "emails"),
        ({"custom": {"salary": 1}}, "custom.salary"),
        ({"birthday": "2000-01-01"}, "birthday"),
    ):
        response = patch(rep, f"{API}/contacts/{pk}", body)
        assert response.status_code == 403, (body, response.content)
        assert field in assert_envelope(response, "permission_denied")["fields"]
    response = post(rep, f"{API}/contacts", {"last_name": "New", "emails": ["x@example.com"]})
    assert response.status_code == 403
    assert_unchanged(before)
    # a hidden custom field cannot be filtered on either
    response = rep.get(f"{API}/contacts", {"custom.salary__gte": "1"})
    assert response.status_code == 422
    assert "custom.salary" in response.json()["fields"]


def test_people_of_a_company_when_the_role_hides_contacts_companies(world, api_client_for):
    account_services.role_update(
        actor=world.owner, role=world.rep.role, changes={"field_rules": {"contact": {"company": "hidden"}}}
    )
    company = make_company(world.owner, "Parsian")
    make_contact(world.owner, "Sara", company=company)
    rep = api_client_for(world.rep)
    response = rep.get(f"{API}/companies/{company.pk}/people")
    assert response.status_code == 403
    assert_envelope(response, "permission_denied")
    assert rep.get(f"{API}/contacts").json()["items"][0]["company"] is None
    assert rep.get(f"{API}/contacts", {"company": company.pk}).status_code == 422


def test_hidden_company_fields(world, api_client_for):
    _field(world, "margin", "number", entity="company")
    rules = {"company": {"annual_revenue": "hidden", "custom.margin": "hidden", "name": "hidden"}}
    account_services.role_update(actor=world.owner, role=world.rep.role, changes={"field_rules": rules})
    company = make_company(world.owner, "Secret Holdings", annual_revenue="5000000", custom={"margin": 42})
    make_contact(world.owner, "Sara", company=company)
    rep = api_client_for(world.rep)
    body = rep.get(f"{API}/companies/{company.pk}").json()
    assert (body["name"], body["annual_revenue"], body["custom"]) == (None, None, {})
    people = rep.get(f"{API}/contacts").json()["items"]
    assert people[0]["company"] == {"id": company.pk, "name": ""}
    for path in (f"{API}/companies", f"{API}/contacts", f"{API}/companies/{company.pk}/timeline"):
        assert "Secret Holdings" not in rep.get(path).content.decode(), path
        assert "5000000" not in rep.get(path).content.decode(), path


# ---------------------------------------------------------------- bulk


def test_bulk_with_good_and_bad_items(iran, api_client_for):
    mine = make_contact(iran.owner, "Mine", owner=iran.rep, phones=["09121110001"])
    theirs = make_contact(iran.owner, "Theirs", owner=iran.teammate)
    elsewhere = make_contact(iran.other_owner, "Elsewhere")
    client = api_client_for(iran.rep)

    response = post(
        client,
        f"{API}/contacts/bulk",
        {
            "items": [
                {"create": {"first_name": "Good", "phones": ["۰۹۱۲۳۳۳۴۴۵۵"], "tags": ["Imported"]}},
                {"create": {"first_name": "Bad phone", "phones": ["12"]}},
                {"id": mine.pk, "update": {"job_title": "CEO"}, "expected_version": 1},
                {"id": mine.pk, "update": {"job_title": "CTO"}, "expected_version": 1},
                {"id": theirs.pk, "update": {"job_title": "CEO"}},
                {"id": elsewhere.pk, "update": {"job_title": "CEO"}},
                {"create": {"first_name": "Bad custom", "custom": {"x": 1}}},
                {"id": 999999, "update": {"job_title": "CEO"}},
                {"create": {"last_name": "Also good", "emails": ["also@example.com"]}},
            ]
        },
    )

    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["index"] for r in results] == list(range(9))
    assert [r["status"] for r in results] == [201, 422, 200, 409, 403, 404, 422, 404, 201]
    assert "phones" in results[1]["error"]["fields"]
    assert "custom.x" in results[6]["error"]["fields"]
    assert results[3]["error"]["code"] == "conflict"
    assert results[4]["error"]["code"] == "permission_denied"
    good = Contact.objects.get(pk=results[0]["id"])
    assert good.phone == "+989123334455"
    assert results[0]["record"]["tags"][0]["name"] == "Imported"
    assert results[0]["version"] == 1
    assert results[2]["record"]["job_title"] == "CEO" and results[2]["version"] == 2
    assert Contact.objects.get(pk=mine.pk).job_title == "CEO"
    assert Contact.objects.get(pk=theirs.pk).job_title == ""
    assert Contact.objects.get(pk=elsewhere.pk).job_title == ""
    assert not Contact.objects.filter(first_name__in=["Bad phone", "Bad custom"]).exists()
    assert Contact.objects.filter(last_name="Also good").exists()
    for failed in (results[1], results[4]):
        assert failed["id"] is None and failed["record"] is None


def test_bulk_size_and_shape(world, api_client_for):
    client = api_client_for(world.owner)
    before = db_state()
    too_many = {"items": [{"create": {"first_name": f"P{n}"}} for n in range(MAX_BULK + 1)]}
    response = post(client, f"{API}/contacts/bulk", too_many)
    assert response.status_code == 422
    assert "items" in assert_envelope(response, "validation_error")["fields"]
    for item in (
        {},
        {"create": {"first_name": "A"}, "id": 1},
        {"update": {"first_name": "A"}},
        {"create": {"first_name": "A"}, "update": {"first_name": "B"}, "id": 1},
        {"id": 1},
        {"create": {"first_name": "A", "shoe": 42}},
    ):
        response = post(client, f"{API}/contacts/bulk", {"items": [{"create": {"first_name": "Ok"}}, item]})
        assert response.status_code == 422, (item, response.content)
        assert any(name.startswith("items.1") for name in assert_envelope(response)["fields"]), item
    assert_unchanged(before)
    assert post(client, f"{API}/contacts/bulk", {"items": []}).json() == {"results": []}


def test_bulk_of_a_thousand_in_one_call(world, api_client_for):
    client = api_client_for(world.owner)
    items = [{"create": {"first_name": f"Person {n}", "tags": ["Batch"]}} for n in range(MAX_BULK)]
    response = post(client, f"{API}/contacts/bulk", {"items": items})
    assert response.status_code == 200
    assert {r["status"] for r in response.json()["results"]} == {201}
    assert ContactTag.objects.filter(tag__name="Batch").count() == MAX_BULK


def test_company_bulk(world, api_client_for):
    mine = make_company(world.rep, "Mine")
    client = api_client_for(world.rep)
    response = post(
        client,
        f"{API}/companies/bulk",
        {
            "items": [
                {"create": {"name": "Newco", "website": "newco.example"}},
                {"create": {"name": " "}},
                {"id": mine.pk, "update": {"industry": "Tea", "expected_version": 1}},
                {"id": mine.pk, "update": {"industry": "Coffee"}, "expected_version": 1},
            ]
        },
    )
    assert [r["status"] for r in response.json()["results"]] == [201, 422, 200, 409]
    assert response.json()["results"][0]["record"]["domain"] == "newco.example"
    assert Company.objects.get(pk=mine.pk).industry == "Tea"


# ---------------------------------------------------------------- search and filters


@pytest.mark.parametrize(
    "query", ["علی", "علي", "رضایی", "رضايي", "۰۹۱۲۱۲۳", "٠٩١٢١٢٣", "0912 123 4567", "+98 912", "ALI@EXAMPLE"]
)
def test_search_finds_persian_contacts_however_typed(iran, api_client_for, query):
    contact = make_contact(iran.owner, "علي", "رضايي", emails=["ali@example.com"], phones=["09121234567"])
    make_contact(iran.owner, "Somchai", "Jaidee")
    response = api_client_for(iran.rep).get(f"{API}/contacts", {"search": query})
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["items"]] == [contact.pk]


def test_filters_through_the_api(iran, api_client_for):
    services.lifecycle_ensure_defaults(iran.workspace.pk)
    customer = LifecycleStage.objects.get(workspace=iran.workspace, key="customer")
    company = make_company(iran.owner, "Parsian")
    _field(iran, "budget", "number")
    a = make_contact(iran.owner, "A", tags=["vip", "north"], lifecycle_stage=customer, custom={"budget": 500})
    b = make_contact(iran.owner, "B", tags=["vip"], company=company, source="Fair", email_consent="granted")
    c = make_contact(iran.manager, "C", owner=iran.rep, custom={"budget": 50})
    d = make_contact(iran.owner, "D", owner=None)
    vip, north = Tag.objects.get(name="vip"), Tag.objects.get(name="north")
    client = api_client_for(iran.rep)

    def ids(**params):
        response = client.get(f"{API}/contacts", params)
        assert response.status_code == 200, (params, response.content)
        return {item["id"] for item in response.json()["items"]}

    assert ids(tag=vip.pk) == {a.pk, b.pk}
    assert ids(tag=[vip.pk, north.pk], tags_mode="all") == {a.pk}
    assert ids(tag=f"{vip.pk},{north.pk}") == {a.pk, b.pk}
    assert ids(not_tag=vip.pk) == {c.pk, d.pk}
    assert ids(owner="me") == {c.pk}
    assert ids(owner="none") == {d.pk}
    assert ids(owner=["me", "none"]) == {c.pk, d.pk}
    assert ids(lifecycle=customer.pk) == {a.pk}
    assert ids(company=company.pk) == {b.pk}
    assert ids(source="fair") == {b.pk}
    assert ids(email_consent="granted") == {b.pk}
    assert ids(email_consent="unknown") == {a.pk, c.pk, d.pk}
    assert ids(**{"custom.budget__gte": "100"}) == {a.pk}
    assert ids(**{"custom.budget__lte": "۱۰۰"}) == {c.pk}
    today = datetime.date.today().isoformat()
    assert ids(created_from=today, created_to=today) == {a.pk, b.pk, c.pk, d.pk}
    assert ids(updated_to="2000-01-01") == set()

    response = client.get(f"{API}/contacts", {"tag": vip.pk, "with_total": "true", "limit": 1})
    assert response.json()["total"] == 2
    assert len(response.json()["items"]) == 1
    assert client.get(f"{API}/contacts").json()["total"] is None


def test_birthdays_this_month(world, api_client_for):
    today = datetime.date.today()
    born = make_contact(world.owner, "Born", birthday=today.replace(year=1990, day=1))
    make_contact(
        world.owner, "Later", birthday=(today.replace(day=1) + datetime.timedelta(days=45)).replace(year=1990)
    )
    response = api_client_for(world.owner).get(f"{API}/contacts", {"birthday": "this_month"})
    assert [item["id"] for item in response.json()["items"]] == [born.pk]


# ---------------------------------------------------------------- keyset pages


def _all_pages(client, path, limit, **params):
    ids, cursor, pages = [], None, 0
    while True:
        query = {"limit": limit, **params} | ({"cursor": cursor} if cursor else {})
        response = client.get(path, query)
        assert response.status_code == 200, response.content
        body = response.json()
        assert len(body["items"]) <= limit
        ids.extend(item["id"] for item in body["items"])
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return ids
        assert pages < 200, "pagination does not end"


NAMES = ["آرش", "بهرام", "پرویز", "چنگیز", "یاسمن", "Ali", "ali", "Zoë", "zoe", "Émile", "สมชาย", "", "Bob"]


@pytest.mark.parametrize(
    "ordering", ["name", "-name", "created_at", "-created_at", "updated_at", "-updated_at"]
)
def test_paging_through_every_contact_skips_and_repeats_nothing(world, api_client_for, ordering):
    account_services.workspace_update(
        actor=world.owner, workspace=world.workspace, changes={"language": "fa"}
    )
    world.owner.workspace.refresh_from_db()
    for n in range(3):
        for name in NAMES:
            make_contact(world.owner, name, "", emails=[] if name else [f"anon{n}@example.com"])
    # same timestamps for several rows: the id must break the ties
    Contact.objects.filter(pk__in=list(Contact.objects.values_list("pk", flat=True)[:10])).update(
        created_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
        updated_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
    )
    field = {"name": "sort_key"}.get(ordering.lstrip("-"), ordering.lstrip("-"))
    order = [f"-{field}", "-id"] if ordering.startswith("-") else [field, "id"]
    expected = list(
        Contact.objects.filter(workspace=world.workspace).order_by(*order).values_list("pk", flat=True)
    )
    client = api_client_for(world.owner)

    ids = _all_pages(client, f"{API}/contacts", limit=4, ordering=ordering)

    assert ids == expected
    assert len(ids) == len(set(ids)) == len(NAMES) * 3


def test_name_order_follows_the_workspace_language(world, api_client_for):
    account_services.workspace_update(
        actor=world.owner, workspace=world.workspace, changes={"language": "fa"}
    )
    world.owner.workspace.refresh_from_db()
    for name in ["یاسمن", "پرویز", "بهرام", "چنگیز", "آرش", "Ali"]:
        make_contact(world.owner, name, "")
    items = _all_pages(api_client_for(world.owner), f"{API}/contacts", limit=2)
    names = [Contact.objects.get(pk=pk).first_name for pk in items]
    assert names == ["آرش", "بهرام", "پرویز", "چنگیز", "یاسمن", "Ali"]


def test_paging_a_search_and_a_tag(world, api_client_for):
    for n in range(15):
        make_contact(world.owner, f"Reza {n:02d}", "", tags=["vip"] if n % 2 else [])
        make_contact(world.owner, f"Other {n:02d}", "")
    client = api_client_for(world.owner)
    expected = list(
        Contact.objects.filter(first_name__startswith="Reza")
        .order_by("sort_key", "id")
        .values_list("pk", flat=True)
    )
    assert _all_pages(client, f"{API}/contacts", limit=4, search="reza") == expected
    vip = Tag.objects.get(name="vip")
    tagged = [pk for pk in expected if Contact.objects.get(pk=pk).tags.filter(pk=vip.pk).exists()]
    assert _all_pages(client, f"{API}/contacts", limit=3, tag=vip.pk, ordering="-name") == tagged[::-1]


def test_company_pages_and_tags_pages(world, api_client_for):
    for n in range(11):
        make_company(world.owner, f"Company {n:02d}", tags=[f"Tag {n:02d}"])
    client = api_client_for(world.owner)
    companies = _all_pages(client, f"{API}/companies", limit=3)
    assert companies == list(Company.objects.order_by("sort_key", "id").values_list("pk", flat=True))
    tags = _all_pages(client, f"{API}/tags", limit=3)
    assert tags == list(
        Tag.objects.filter(workspace=world.workspace).order_by("name", "id").values_list("pk", flat=True)
    )


# ---------------------------------------------------------------- query counts


@pytest.fixture
def crowded(iran):
    """Forty contacts with everything a list shows: company, owner, stage, tags, e-mails, phones, custom."""
    services.lifecycle_ensure_defaults(iran.workspace.pk)
    stages = list(LifecycleStage.objects.filter(workspace=iran.workspace))
    _field(iran, "budget", "number")
    members = [iran.owner, iran.rep, iran.teammate, iran.manager]
    companies = [
        make_company(iran.owner, f"Company {n}", owner=members[n % 4], tags=["b2b"]) for n in range(6)
    ]
    for n in range(40):
        make_contact(
            iran.owner,
            f"Person {n:02d}",
            "Test",
            owner=members[n % 4],
            company=companies[n % 6],
            lifecycle_stage=stages[n % len(stages)],
            emails=[f"p{n}@example.com", f"p{n}@work.example"],
            phones=[f"0912{n:07d}"],
            tags=[f"t{n % 5}", f"t{n % 3}x"],
            custom={"budget": n},
        )
        services.note_create(actor=iran.owner, body=f"note {n}", contact=Contact.objects.latest("id"))
    return iran


def _warm_up(client):
    """The first request of a token records its use and the second fills the token cache: not per page."""
    for _ in range(2):
        client.get(f"{API}/contacts", {"limit": 1})


@pytest.mark.parametrize("who", ["owner", "rep", "manager"])
@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("contacts", {}),
        ("contacts", {"search": "person"}),
        ("contacts", {"ordering": "-updated_at", "with_total": "true"}),
        ("companies", {}),
        ("tags", {}),
        ("contacts/{c}/notes", {}),
    ],
)
def test_list_query_count_does_not_grow_with_page_size(
    crowded, api_client_for, django_assert_max_num_queries, who, path, params
):
    member = getattr(crowded, who)
    if who == "manager":  # a team scope and hidden fields: both must stay per page, not per row
        role = member.role
        permissions = {**role.permissions, "contact": {**role.permissions["contact"], "view": "team"}}
        permissions["company"] = {**permissions["company"], "view": "team"}
        account_services.role_update(
            actor=crowded.owner,
            role=role,
            changes={"permissions": permissions, "field_rules": {"contact": {"phones": "hidden"}}},
        )
    client = api_client_for(member)
    _warm_up(client)
    url = f"{API}/{path}".format(c=Contact.objects.filter(owner=member).first().pk)
    small_limit, big_limit = 2, 40
    with CaptureQueriesContext(connection) as small:
        response = client.get(url, {**params, "limit": small_limit})
    assert response.status_code == 200, response.content
    assert len(small) <= 8, [q["sql"] for q in small.captured_queries]

    with django_assert_max_num_queries(len(small)):
        response = client.get(url, {**params, "limit": big_limit})
    assert response.status_code == 200


def test_forty_rows_cost_what_two_rows_cost(crowded, api_client_for, django_assert_max_num_queries):
    client = api_client_for(crowded.owner)
    _warm_up(client)
    with CaptureQueriesContext(connection) as two:
        small = client.get(f"{API}/contacts", {"limit": 2})
    assert len(small.json()["items"]) == 2
    # auth (a prepared statement on PostgreSQL, not captured), the page, its e-mails, phones and tags
    assert len(two) <= 5, [q["sql"] for q in two.captured_queries]
    with django_assert_max_num_queries(len(two)):
        big = client.get(f"{API}/contacts", {"limit": 40})
    assert len(big.json()["items"]) == 40
    assert all(
        item["tags"] and item["emails"] and item["phones"] and item["company"] for item in big.json()["items"]
    )
    company = Company.objects.first()
    make_contacts = [make_contact(crowded.owner, f"Staff {n}", company=company) for n in range(30)]
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(f"{API}/companies/{company.pk}/people", {"limit": 2}).json()["items"]) == 2
    with django_assert_max_num_queries(len(few)):
        people = client.get(f"{API}/companies/{company.pk}/people", {"limit": 40})
    assert len(people.json()["items"]) > len(make_contacts)


# ---------------------------------------------------------------- notes and timeline


def test_notes_and_timeline(world, api_client_for):
    contact = make_contact(world.rep, "Sara")
    client = api_client_for(world.rep)
    response = post(client, f"{API}/contacts/{contact.pk}/notes", {"body": "  Wants a quote  "})
    assert response.status_code == 201, response.content
    note = response.json()
    assert (note["body"], note["contact_id"], note["author"]["id"]) == (
        "Wants a quote",
        contact.pk,
        world.rep.pk,
    )
    assert patch(client, f"{API}/contacts/{contact.pk}", {"job_title": "CFO"}).status_code == 200

    notes = client.get(f"{API}/contacts/{contact.pk}/notes").json()
    assert [n["id"] for n in notes["items"]] == [note["id"]]
    timeline = client.get(f"{API}/contacts/{contact.pk}/timeline").json()
    assert [item["kind"] for item in timeline].count("note") == 1
    assert [item["kind"] for item in timeline].count("audit") == 2
    assert timeline == sorted(timeline, key=lambda item: item["at"], reverse=True)
    assert len(client.get(f"{API}/contacts/{contact.pk}/timeline", {"limit": 1}).json()) == 1

    response = patch(client, f"{API}/notes/{note['id']}", {"body": "Wants two quotes"})
    assert response.status_code == 200
    assert (response.json()["body"], response.json()["version"]) == ("Wants two quotes", 2)
    response = patch(client, f"{API}/notes/{note['id']}", {"body": "   "})
    assert response.status_code == 422
    assert client.delete(f"{API}/notes/{note['id']}").status_code == 204
    assert client.get(f"{API}/contacts/{contact.pk}/notes").json()["items"] == []
    assert Note.all_objects.get(pk=note["id"]).deleted_at is not None

    company = make_company(world.rep)
    response = post(client, f"{API}/companies/{company.pk}/notes", {"body": "Big buyer"})
    assert response.status_code == 201
    assert response.json()["company_id"] == company.pk
    assert [n["body"] for n in client.get(f"{API}/companies/{company.pk}/notes").json()["items"]] == [
        "Big buyer"
    ]
    assert client.get(f"{API}/companies/{company.pk}/timeline").json()[0]["kind"] in ("note", "audit")


# ---------------------------------------------------------------- tags


def test_tags_list_with_usage_rename_merge_delete(world, api_client_for):
    vip = tag_services.tag_create(actor=world.owner, name="VIP")
    a = make_contact(world.owner, "A", tags=["VIP", "Gold"])
    make_contact(world.owner, "B", tags=["Gold"])
    make_company(world.owner, "Co", tags=["Gold", "Key"])
    gold, key = Tag.objects.get(name="Gold"), Tag.objects.get(name="Key")
    client = api_client_for(world.manager)

    items = {t["name"]: t for t in client.get(f"{API}/tags").json()["items"]}
    assert items["Gold"]["usage"] == {"contact": 2, "company": 1}
    assert items["VIP"]["usage"] == {"contact": 1}
    assert [t["name"] for t in client.get(f"{API}/tags", {"search": "GOL"}).json()["items"]] == ["Gold"]

    response = post(client, f"{API}/tags", {"name": "gold"})
    assert response.status_code == 422
    assert "name" in response.json()["fields"]
    response = post(client, f"{API}/tags", {"name": "Cold", "color": "blue"})
    assert response.status_code == 422 and "color" in response.json()["fields"]
    response = post(client, f"{API}/tags", {"name": "Cold"})
    assert response.status_code == 201 and response.json()["color"].startswith("#")

    response = patch(client, f"{API}/tags/{vip.pk}", {"name": "V.I.P.", "color": "#AA0000"})
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["color"]) == ("V.I.P.", "#aa0000")

    response = post(client, f"{API}/tags/merge", {"source_ids": [vip.pk, key.pk], "target_id": gold.pk})
    assert response.status_code == 200, response.content
    assert response.json()["usage"] == {"contact": 2, "company": 1}
    assert not Tag.objects.filter(pk__in=[vip.pk, key.pk]).exists()
    assert set(a.tags.values_list("name", flat=True)) == {"Gold"}

    assert client.delete(f"{API}/tags/{gold.pk}").status_code == 204
    assert not ContactTag.objects.filter(tag_id=gold.pk).exists()
    response = post(client, f"{API}/tags/merge", {"source_ids": [999999], "target_id": key.pk})
    assert response.status_code == 404


def test_a_rep_without_tag_create_may_only_use_existing_tags(world, api_client_for):
    tag_services.tag_create(actor=world.owner, name="VIP")
    role = world.rep.role
    account_services.role_update(
        actor=world.owner, role=role, changes={"permissions": {**role.permissions, "tag": {"view": "all"}}}
    )
    client = api_client_for(world.rep)
    before = db_state()
    response = post(client, f"{API}/contacts", {"first_name": "A", "tags": ["VIP", "Brand new"]})
    assert response.status_code == 403
    assert_unchanged(before)
    assert post(client, f"{API}/contacts", {"first_name": "A", "tags": ["vip"]}).status_code == 201


# ---------------------------------------------------------------- custom fields and lifecycle list


def test_custom_field_definitions(world, api_client_for):
    client = api_client_for(world.admin)
    response = post(
        client,
        f"{API}/custom-fields",
        {
            "entity": "contact",
            "label": "Customer tier",
            "field_type": "choice",
            "choices": ["Gold", {"label": "Silver"}],
        },
    )
    assert response.status_code == 201, response.content
    field = response.json()
    assert field["key"] == "customer_tier"
    assert field["choices"] == [{"value": "gold", "label": "Gold"}, {"value": "silver", "label": "Silver"}]
    post(client, f"{API}/custom-fields", {"entity": "company", "label": "Size", "field_type": "number"})
    assert [f["key"] for f in client.get(f"{API}/custom-fields", {"entity": "company"}).json()["items"]] == [
        "size"
    ]
    assert len(client.get(f"{API}/custom-fields").json()["items"]) == 2
    assert client.get(f"{API}/custom-fields", {"entity": "deal"}).status_code == 422

    for body, name in (
        ({"entity": "deal", "label": "X", "field_type": "text"}, "entity"),
        ({"entity": "contact", "label": "X", "field_type": "hologram"}, "field_type"),
        ({"entity": "contact", "label": "X", "field_type": "choice"}, "choices"),
        ({"entity": "contact", "label": "X", "key": "Bad Key", "field_type": "text"}, "key"),
        ({"entity": "contact", "label": "Tier", "key": "customer_tier", "field_type": "text"}, "__all__"),
    ):
        response = post(client, f"{API}/custom-fields", body)
        assert response.status_code == 422, (body, response.content)
        assert name in response.json()["fields"], response.json()

    response = patch(client, f"{API}/custom-fields/{field['id']}", {"label": "Tier", "required": True})
    assert (response.status_code, response.json()["label"], response.json()["required"]) == (
        200,
        "Tier",
        True,
    )
    response = patch(client, f"{API}/custom-fields/{field['id']}", {"field_type": "text"})
    assert response.status_code == 422  # not a changeable field: unknown to the schema

    contact = make_contact(world.owner, custom={"customer_tier": "Gold"})
    assert client.delete(f"{API}/custom-fields/{field['id']}").status_code == 204
    assert client.get(f"{API}/custom-fields", {"entity": "contact"}).json()["items"] == []
    response = post(client, f"{API}/custom-fields/{field['id']}/restore")
    assert response.status_code == 200 and response.json()["deleted_at"] is None
    assert client.get(f"{API}/contacts/{contact.pk}").json()["custom"] == {"customer_tier": "gold"}


def test_lifecycle_list(world, api_client_for):
    client = api_client_for(world.admin)
    response = client.get(f"{API}/lifecycle-stages")
    assert response.status_code == 200
    keys = [s["key"] for s in response.json()["items"]]
    assert keys == ["subscriber", "lead", "qualified", "opportunity", "customer", "advocate", "churned"]
    assert client.get(f"{API}/lifecycle-stages").json() == response.json()  # made once

    created = post(client, f"{API}/lifecycle-stages", {"name": "Won back"})
    assert created.status_code == 201
    assert (created.json()["key"], created.json()["position"]) == ("won-back", 7)
    assert post(client, f"{API}/lifecycle-stages", {"name": " "}).status_code == 422

    lead = LifecycleStage.objects.get(workspace=world.workspace, key="lead")
    response = patch(client, f"{API}/lifecycle-stages/{lead.pk}", {"position": 9})
    assert (response.status_code, response.json()["label"], response.json()["position"]) == (200, "Lead", 9)
    response = patch(client, f"{API}/lifecycle-stages/{lead.pk}", {"name": "Prospect"})
    assert (response.json()["key"], response.json()["label"]) == ("lead", "Prospect")

    contact = make_contact(world.owner, lifecycle_stage=lead)
    assert client.delete(f"{API}/lifecycle-stages/{lead.pk}").status_code == 204
    assert api_client_for(world.owner).get(f"{API}/contacts/{contact.pk}").json()["lifecycle_stage"] is None


def test_binned_custom_field_keeps_values_and_filters_refuse_it(world, api_client_for):
    field = _field(world, "budget", "number")
    make_contact(world.owner, custom={"budget": 5})
    recycle.soft_delete(actor=world.owner, record=field)
    client = api_client_for(world.owner)
    response = client.get(f"{API}/contacts", {"custom.budget": "5"})
    assert response.status_code == 422
    assert "custom.budget" in response.json()["fields"]


def test_audit_events_hide_what_a_hidden_consent_covers(hidden, api_client_for):
    """A hidden e-mail consent also hides when and how it was given, in the workspace audit log too."""
    account_services.role_update(
        actor=hidden.owner,
        role=hidden.rep.role,
        changes={"permissions": {**hidden.rep.role.permissions, "audit": {"view": "all"}}},
    )
    response = api_client_for(hidden.rep).get(f"{API}/audit-events", {"entity": "contact", "limit": 200})
    assert response.status_code == 200, response.content
    for item in response.json()["items"]:
        assert not {"email", "emails", "email_consent", "email_consent_at", "email_consent_source"} & set(
            item["changes"]
        )
