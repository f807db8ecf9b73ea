"""Duplicates and merging through the API: checking before creating, candidate pairs, merging contacts and
companies (who may, choices, hidden and read-only fields, versions) and undoing a merge by restoring."""

from __future__ import annotations

import datetime
import json

import pytest

from peyvand.accounts import services as account_services
from peyvand.contacts import services
from peyvand.contacts.models import Company, Contact, Merge, Note
from peyvand.contacts.tests.factories import make_company, make_contact
from peyvand.core.models import AuditEntry

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def dupes(world):
    """Acme (Iran): the owner's Sara twice (a shares an e-mail with b), the rep's Reza twice, another
    workspace's contact with Sara's e-mail."""
    account_services.workspace_update(actor=world.owner, workspace=world.workspace, changes={"country": "IR"})
    world.owner.workspace.refresh_from_db()
    world.parsian = make_company(world.owner, "Parsian Trading", domain="parsian.example")
    world.a = make_contact(
        world.owner,
        "Sara",
        "Ahmadi",
        emails=["sara@parsian.example"],
        phones=["09121234567"],
        tags=["VIP"],
        company=world.parsian,
    )
    world.b = make_contact(
        world.owner,
        "Sara",
        "Ahmadi-Pour",
        emails=["sara.home@example.com", "SARA@parsian.example"],
        phones=["09351234567"],
        tags=["Newsletter"],
        job_title="Chief Financial Officer",
        birthday=datetime.date(1990, 5, 1),
    )
    services.note_create(actor=world.owner, contact=world.b, body="Met at the fair")
    world.r1 = make_contact(world.manager, "Reza", "One", owner=world.rep, emails=["reza@rep.example"])
    world.r2 = make_contact(world.manager, "Reza", "Two", owner=world.rep, emails=["Reza@rep.example"])
    world.other_contact = make_contact(
        world.other_owner, "Other", "Workspace", emails=["sara@parsian.example"]
    )
    return world


def _post(client, path, body, **headers):
    return client.post(f"{API}{path}", data=json.dumps(body), content_type="application/json", **headers)


def _rules(member, rules):
    role = member.role
    role.field_rules = rules
    role.save()
    member.refresh_from_db()
    return member


# ----------------------------------------------------------------------------- check before creating


def test_duplicates_by_email_phone_and_name(dupes, api_client_for):
    client = api_client_for(dupes.owner)
    response = client.get(f"{API}/contacts/duplicates", {"email": "SARA@parsian.example"})
    assert response.status_code == 200
    assert response.json() == [
        {"contact": {"id": dupes.a.pk, "display_name": "Sara Ahmadi"}, "score": 95, "reasons": ["email"]},
        {
            "contact": {"id": dupes.b.pk, "display_name": "Sara Ahmadi-Pour"},
            "score": 95,
            "reasons": ["email"],
        },
    ]
    by_phone = client.get(f"{API}/contacts/duplicates", {"phone": "۰۹۳۵ ۱۲۳ ۴۵۶۷"}).json()
    assert [c["contact"]["id"] for c in by_phone] == [dupes.b.pk] and by_phone[0]["reasons"] == ["phone"]
    by_name = client.get(
        f"{API}/contacts/duplicates", {"name": "ahmadi sara", "company_id": dupes.parsian.pk}
    ).json()
    assert [c["contact"]["id"] for c in by_name] == [dupes.a.pk] and by_name[0]["reasons"] == ["name_company"]
    several = client.get(f"{API}/contacts/duplicates?email=nobody@example.com&email=reza@rep.example").json()
    assert [c["contact"]["id"] for c in several] == [dupes.r1.pk, dupes.r2.pk]
    assert (
        client.get(f"{API}/contacts/duplicates", {"email": "sara@parsian.example", "limit": 1}).json()[0][
            "contact"
        ]["id"]
        == dupes.a.pk
    )
    assert (
        len(client.get(f"{API}/contacts/duplicates", {"email": "sara@parsian.example", "limit": 1}).json())
        == 1
    )
    excluded = client.get(
        f"{API}/contacts/duplicates", {"email": "sara@parsian.example", "exclude_id": dupes.a.pk}
    )
    assert [c["contact"]["id"] for c in excluded.json()] == [dupes.b.pk]
    assert client.get(f"{API}/contacts/duplicates").json() == []


def test_duplicates_stay_in_the_callers_reach(dupes, api_client_for):
    other = api_client_for(dupes.other_owner).get(
        f"{API}/contacts/duplicates", {"email": "sara.home@example.com"}
    )
    assert other.status_code == 200 and other.json() == []
    unknown = api_client_for(dupes.owner).get(
        f"{API}/contacts/duplicates", {"name": "Sara", "company_id": 10**9}
    )
    assert unknown.status_code == 422 and unknown.json()["fields"] == {"company_id": ["Unknown company."]}
    # A hidden field is not compared, so its values cannot be probed.
    _rules(dupes.admin, {"contact": {"emails": "hidden", "last_name": "hidden"}})
    admin = api_client_for(dupes.admin)
    assert admin.get(f"{API}/contacts/duplicates", {"email": "sara.home@example.com"}).json() == []
    by_phone = admin.get(f"{API}/contacts/duplicates", {"phone": "+989351234567"}).json()
    assert by_phone == [
        {"contact": {"id": dupes.b.pk, "display_name": "Sara"}, "score": 90, "reasons": ["phone"]}
    ]
    assert api_client_for(None).get(f"{API}/contacts/duplicates").status_code == 401


def test_company_duplicates(dupes, api_client_for):
    client = api_client_for(dupes.owner)
    by_domain = client.get(
        f"{API}/companies/duplicates", {"domain": "https://www.Parsian.example/about"}
    ).json()
    assert by_domain == [
        {"company": {"id": dupes.parsian.pk, "name": "Parsian Trading"}, "score": 90, "reasons": ["domain"]}
    ]
    both = client.get(
        f"{API}/companies/duplicates", {"name": "parsian  trading", "website": "parsian.example"}
    )
    assert both.json()[0]["score"] == 95 and both.json()[0]["reasons"] == ["domain", "name"]
    _rules(dupes.admin, {"company": {"name": "hidden"}})
    hidden = (
        api_client_for(dupes.admin).get(f"{API}/companies/duplicates", {"domain": "parsian.example"}).json()
    )
    assert hidden[0]["company"] == {"id": dupes.parsian.pk, "name": None}


# ----------------------------------------------------------------------------- pairs


def test_duplicate_pairs(dupes, api_client_for, django_assert_max_num_queries):
    client = api_client_for(dupes.owner)
    with django_assert_max_num_queries(25):
        response = client.get(f"{API}/contacts/duplicate-pairs")
    pairs = response.json()
    assert response.status_code == 200
    assert {(p["first"]["id"], p["second"]["id"]) for p in pairs} == {
        (dupes.a.pk, dupes.b.pk),
        (dupes.r1.pk, dupes.r2.pk),
    }
    first = next(p for p in pairs if p["first"]["id"] == dupes.a.pk)
    assert first["second"] == {"id": dupes.b.pk, "display_name": "Sara Ahmadi-Pour"} and first["reasons"] == [
        "email"
    ]
    assert len(client.get(f"{API}/contacts/duplicate-pairs", {"limit": 1}).json()) == 1
    assert api_client_for(dupes.other_owner).get(f"{API}/contacts/duplicate-pairs").json() == []
    _rules(dupes.admin, {"contact": {"first_name": "hidden", "last_name": "hidden"}})
    hidden = api_client_for(dupes.admin).get(f"{API}/contacts/duplicate-pairs").json()
    assert {p["first"]["display_name"] for p in hidden} == {""}
    make_company(dupes.owner, "Parsian", domain="parsian.example")
    companies = client.get(f"{API}/companies/duplicate-pairs").json()
    assert [(p["first"]["name"], p["second"]["name"], p["reasons"]) for p in companies] == [
        ("Parsian Trading", "Parsian", ["domain"])
    ]


# ----------------------------------------------------------------------------- merging


@pytest.mark.parametrize(
    ("who", "survivor", "other", "status"),
    [
        ("owner", "a", "b", 200),
        ("rep", "r1", "r2", 200),  # the rep's own records
        ("rep", "r1", "a", 403),  # may change their own, not delete the owner's
        ("rep", "a", "r1", 403),  # may not change the owner's
        ("read_only", "a", "b", 403),
        ("other_owner", "a", "b", 404),
        (None, "a", "b", 401),
    ],
)
def test_merge_permissions(dupes, api_client_for, who, survivor, other, status):
    member = getattr(dupes, who) if who else None
    kept, merged = getattr(dupes, survivor), getattr(dupes, other)
    client = api_client_for(member)
    audit = AuditEntry.objects.count()
    response = _post(client, "/contacts/merge", {"survivor_id": kept.pk, "merge_ids": [merged.pk]})
    assert response.status_code == status, response.content[:300]
    assert Contact.objects.filter(pk=merged.pk).exists() is (status != 200)
    if status != 200:
        assert set(response.json()) == {"code", "message", "fields"}
        assert AuditEntry.objects.count() == audit and not Merge.objects.exists()


def test_merge_returns_the_survivor_with_a_chosen_value(dupes, api_client_for):
    client = api_client_for(dupes.owner)
    response = _post(
        client,
        "/contacts/merge",
        {
            "survivor_id": dupes.a.pk,
            "merge_ids": [dupes.b.pk],
            "choices": {"last_name": dupes.b.pk, "job_title": dupes.a.pk},
            "expected_version": dupes.a.version,
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == dupes.a.pk and body["version"] == dupes.a.version + 1
    assert body["last_name"] == "Ahmadi-Pour" and body["job_title"] == ""  # chosen, both ways
    assert body["birthday"] == "1990-05-01"  # the survivor had none
    assert sorted(p["number"] for p in body["phones"]) == ["+989121234567", "+989351234567"]
    assert sorted(e["email"] for e in body["emails"]) == ["sara.home@example.com", "sara@parsian.example"]
    assert sorted(t["name"] for t in body["tags"]) == ["Newsletter", "VIP"]
    assert Note.objects.get().contact_id == dupes.a.pk
    assert client.get(f"{API}/contacts/{dupes.b.pk}").status_code == 404


def test_merge_then_restore_undoes_it(dupes, api_client_for):
    client = api_client_for(dupes.owner)
    body = {"survivor_id": dupes.a.pk, "merge_ids": [dupes.b.pk], "choices": {"last_name": dupes.b.pk}}
    assert _post(client, "/contacts/merge", body).status_code == 200
    restored = _post(client, f"/contacts/{dupes.b.pk}/restore", {})
    assert restored.status_code == 200 and restored.json()["last_name"] == "Ahmadi-Pour"
    survivor = client.get(f"{API}/contacts/{dupes.a.pk}").json()
    assert survivor["last_name"] == "Ahmadi" and survivor["job_title"] == "" and survivor["birthday"] is None
    assert [e["email"] for e in survivor["emails"]] == ["sara@parsian.example"]
    assert [p["number"] for p in survivor["phones"]] == ["+989121234567"]
    assert Note.objects.get().contact_id == dupes.b.pk


def test_hidden_fields_are_never_returned_and_keep_the_survivors_value(dupes, api_client_for):
    _rules(dupes.admin, {"contact": {"job_title": "hidden", "birthday": "hidden", "emails": "hidden"}})
    client = api_client_for(dupes.admin)
    response = _post(client, "/contacts/merge", {"survivor_id": dupes.a.pk, "merge_ids": [dupes.b.pk]})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["job_title"] is None and body["birthday"] is None
    assert body["emails"] is None and body["email"] is None
    assert "Chief Financial Officer" not in response.content.decode()
    dupes.a.refresh_from_db()
    assert dupes.a.job_title == "" and dupes.a.birthday is None  # not filled from a field they cannot see
    assert dupes.a.emails.count() == 2  # e-mails are united whatever the member sees


def test_read_only_fields_keep_the_survivors_value_and_cannot_be_chosen(dupes, api_client_for):
    _rules(dupes.admin, {"contact": {"job_title": "read_only"}})
    client = api_client_for(dupes.admin)
    refused = _post(
        client,
        "/contacts/merge",
        {"survivor_id": dupes.a.pk, "merge_ids": [dupes.b.pk], "choices": {"job_title": dupes.b.pk}},
    )
    assert refused.status_code == 403 and "job_title" in refused.json()["fields"]
    assert Contact.objects.filter(pk=dupes.b.pk).exists()
    response = _post(client, "/contacts/merge", {"survivor_id": dupes.a.pk, "merge_ids": [dupes.b.pk]})
    assert response.status_code == 200 and response.json()["job_title"] == ""


def test_choosing_another_owner_needs_the_assign_permission(dupes, api_client_for):
    role = dupes.support.role
    role.permissions = {**role.permissions, "contact": {"view": "all", "change": "all", "delete": "all"}}
    role.save()
    dupes.support.refresh_from_db()
    client = api_client_for(dupes.support)
    body = {"survivor_id": dupes.a.pk, "merge_ids": [dupes.r1.pk], "choices": {"owner": dupes.r1.pk}}
    refused = _post(client, "/contacts/merge", body)
    assert refused.status_code == 403 and refused.json()["fields"] == {
        "owner": ["You may not assign this record to someone else."]
    }
    response = _post(client, "/contacts/merge", {**body, "choices": {}})
    assert response.status_code == 200 and response.json()["owner"]["id"] == dupes.owner.pk


def test_stale_versions_are_refused(dupes, api_client_for):
    client = api_client_for(dupes.owner)
    body = {"survivor_id": dupes.a.pk, "merge_ids": [dupes.b.pk]}
    assert _post(client, "/contacts/merge", {**body, "expected_version": 99}).status_code == 409
    assert _post(client, "/contacts/merge", body, HTTP_IF_MATCH='"99"').status_code == 412
    assert Contact.objects.filter(pk=dupes.b.pk).exists()
    ok = _post(client, "/contacts/merge", body, HTTP_IF_MATCH=f'"{dupes.a.version}"')
    assert ok.status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"merge_ids": []}, "merge_ids"),
        ({"merge_ids": list(range(1, 12))}, "merge_ids"),
        ({"merge_ids": ["self"]}, "merge_ids"),
        ({"choices": {"nonsense": "b"}}, "nonsense"),
        ({"choices": {"last_name": 10**9}}, "last_name"),
        ({"choices": {"last_name": True}}, "choices"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_merge_refuses_nonsense(dupes, api_client_for, body, field):
    values = {"survivor_id": dupes.a.pk, "merge_ids": [dupes.b.pk]}
    for name, value in body.items():
        if value == ["self"]:
            value = [dupes.a.pk]
        if isinstance(value, dict):
            value = {k: dupes.b.pk if v == "b" else v for k, v in value.items()}
        values[name] = value
    response = _post(api_client_for(dupes.owner), "/contacts/merge", values)
    assert response.status_code == 422, response.content
    assert field in response.json()["fields"]
    assert Contact.objects.filter(pk=dupes.b.pk).exists()


def test_company_merge_and_restore(dupes, api_client_for):
    client = api_client_for(dupes.owner)
    other = make_company(dupes.owner, "Parsian Trading Co", domain="parsian.example", industry="Retail")
    person = make_contact(dupes.owner, "Lily", "Walker", company=other)
    response = _post(
        client,
        "/companies/merge",
        {"survivor_id": dupes.parsian.pk, "merge_ids": [other.pk], "choices": {"name": other.pk}},
    )
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Parsian Trading Co" and response.json()["industry"] == "Retail"
    person.refresh_from_db()
    assert person.company_id == dupes.parsian.pk and not Company.objects.filter(pk=other.pk).exists()
    assert _post(client, f"/companies/{other.pk}/restore", {}).status_code == 200
    person.refresh_from_db()
    assert person.company_id == other.pk
    assert client.get(f"{API}/companies/{dupes.parsian.pk}").json()["name"] == "Parsian Trading"
    rep = api_client_for(dupes.rep)
    refused = _post(rep, "/companies/merge", {"survivor_id": dupes.parsian.pk, "merge_ids": [other.pk]})
    assert refused.status_code == 403
