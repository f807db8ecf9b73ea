"""Authorization matrix over every contacts endpoint (ARCHITECTURE §4, §6, §10).

Every endpoint × owner / admin / sales manager / sales rep / support agent / read-only / a member of another
workspace / anonymous, on records owned by the rep, by the rep's teammate (team North, with the manager) and
by a rep of another team. A refused call (any 4xx) leaves the database exactly as it was, audit trail and
outbox included; records the member cannot see answer 404, records they see but may not touch 403.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

import pytest

from peyvand.accounts import services as account_services
from peyvand.accounts.tests.test_api_matrix import (
    ACME_ACTORS,
    actor_of,
    api_operations,
    assert_envelope,
    assert_matrix_complete,
    check_matrix_case,
    each_actor,
    expect,
    send,
)
from peyvand.accounts.tests.test_api_matrix import db_state as accounts_state
from peyvand.contacts import saved_views, services
from peyvand.contacts.models import (
    Company,
    CompanyTag,
    Contact,
    ContactEmail,
    ContactPhone,
    ContactTag,
    LifecycleStage,
    Note,
    SavedView,
)
from peyvand.contacts.tests.factories import make_company, make_contact
from peyvand.core import customfields, recycle
from peyvand.core import tags as tag_services
from peyvand.core.models import CustomField, Tag

API = "/api/v1"


def db_state() -> dict[str, Any]:
    """Every row a contacts request could change (plus everything the accounts matrix watches)."""
    return accounts_state() | {
        "contacts": list(Contact.all_objects.order_by("pk").values()),
        "emails": list(ContactEmail.objects.order_by("pk").values()),
        "phones": list(ContactPhone.objects.order_by("pk").values()),
        "contact_tags": list(ContactTag.objects.order_by("pk").values()),
        "companies": list(Company.all_objects.order_by("pk").values()),
        "company_tags": list(CompanyTag.objects.order_by("pk").values()),
        "notes": list(Note.all_objects.order_by("pk").values()),
        "tags": list(Tag.objects.order_by("pk").values()),
        "custom_fields": list(CustomField.all_objects.order_by("pk").values()),
        "stages": list(LifecycleStage.objects.order_by("pk").values()),
        "saved_views": list(SavedView.objects.order_by("pk").values()),
    }


def assert_unchanged(before: dict[str, Any]) -> None:
    after = db_state()
    changed = [name for name in before if before[name] != after[name]]
    assert not changed, f"a refused request changed: {changed}"


# ---------------------------------------------------------------- the world the matrix runs in


@pytest.fixture
def cw(world):
    """`world` plus contacts, companies, notes, tags, custom fields and stages in Acme and in Other.

    Ownership: `rep_*` by the rep, `mate_*` by the rep's teammate (team North, with the manager),
    `far_*` by a rep of team South. `*_binned` rows are in the recycle bin."""
    w = world
    services.lifecycle_ensure_defaults(w.workspace.pk)
    services.lifecycle_ensure_defaults(w.other_workspace.pk)
    for prefix, owner in (("rep", w.rep), ("mate", w.teammate), ("far", w.outsider_rep)):
        company = make_company(w.owner, f"{prefix.title()} Trading", owner=owner)
        contact = make_contact(w.owner, prefix.title(), "Person", owner=owner, company=company)
        setattr(w, f"{prefix}_company", company)
        setattr(w, f"{prefix}_contact", contact)
        note = services.note_create(actor=owner, body=f"{prefix} note", contact=contact)
        setattr(w, f"{prefix}_note", note)
        binned = make_contact(w.owner, prefix.title(), "Binned", owner=owner)
        recycle.soft_delete(actor=w.owner, record=binned)
        setattr(w, f"{prefix}_contact_binned", binned)
        binned_company = make_company(w.owner, f"{prefix.title()} Binned Ltd", owner=owner)
        recycle.soft_delete(actor=w.owner, record=binned_company)
        setattr(w, f"{prefix}_company_binned", binned_company)
    w.tag = tag_services.tag_create(actor=w.owner, name="VIP")
    w.tag2 = tag_services.tag_create(actor=w.owner, name="Hot")
    w.field = customfields.custom_field_create(
        actor=w.owner, data={"entity": "contact", "label": "Budget", "field_type": "number"}
    )
    w.old_field = customfields.custom_field_create(
        actor=w.owner, data={"entity": "contact", "label": "Old", "field_type": "text"}
    )
    recycle.soft_delete(actor=w.owner, record=w.old_field)
    w.stage = services.lifecycle_stage_save(actor=w.owner, stage=None, name="Trial")
    # Saved views: the rep's private one, the manager's shared one (reps may not share).
    w.private_view = saved_views.saved_view_create(
        actor=w.rep, entity="contact", name="Mine", query=f"tag={w.tag.pk}"
    )
    w.shared_view = saved_views.saved_view_create(
        actor=w.manager, entity="contact", name="Team", query="ordering=-name", shared=True
    )

    o = types.SimpleNamespace()
    boss = w.other_owner
    o.company = make_company(boss, "Elsewhere Ltd")
    o.contact = make_contact(boss, "Far", "Away", company=o.company)
    o.note = services.note_create(actor=boss, body="theirs", contact=o.contact)
    o.contact_binned = make_contact(boss, "Gone", "Elsewhere")
    recycle.soft_delete(actor=boss, record=o.contact_binned)
    o.company_binned = make_company(boss, "Gone Ltd")
    recycle.soft_delete(actor=boss, record=o.company_binned)
    o.tag = tag_services.tag_create(actor=boss, name="Theirs")
    o.field = customfields.custom_field_create(
        actor=boss, data={"entity": "contact", "label": "Secret", "field_type": "text"}
    )
    o.old_field = customfields.custom_field_create(
        actor=boss, data={"entity": "company", "label": "Gone", "field_type": "text"}
    )
    recycle.soft_delete(actor=boss, record=o.old_field)
    o.stage = services.lifecycle_stage_save(actor=boss, stage=None, name="Theirs")
    o.view = saved_views.saved_view_create(actor=boss, entity="contact", name="Theirs", query="", shared=True)
    w.o = o
    return w


# ---------------------------------------------------------------- the endpoints

Case = tuple[str, Callable[[Any], str], Callable[[Any], Any] | None]


def _record_cases(kind: str, plural: str, patch_body: dict[str, Any]) -> dict[str, Case]:
    """get / patch / delete / restore / timeline / notes on the rep's, the teammate's and the far rep's."""
    cases: dict[str, Case] = {}
    for who in ("rep", "mate", "far"):

        def record(w: Any, who: str = who) -> Any:
            return getattr(w, f"{who}_{kind}")

        def binned(w: Any, who: str = who) -> Any:
            return getattr(w, f"{who}_{kind}_binned")

        cases[f"{plural}.get_{who}"] = ("get", lambda w, r=record: f"{API}/{plural}/{r(w).pk}", None)
        cases[f"{plural}.patch_{who}"] = (
            "patch",
            lambda w, r=record: f"{API}/{plural}/{r(w).pk}",
            lambda w: patch_body,
        )
        cases[f"{plural}.delete_{who}"] = ("delete", lambda w, r=record: f"{API}/{plural}/{r(w).pk}", None)
        cases[f"{plural}.restore_{who}"] = (
            "post",
            lambda w, r=binned: f"{API}/{plural}/{r(w).pk}/restore",
            None,
        )
    cases[f"{plural}.timeline"] = (
        "get",
        lambda w: f"{API}/{plural}/{getattr(w, 'rep_' + kind).pk}/timeline",
        None,
    )
    cases[f"{plural}.notes"] = ("get", lambda w: f"{API}/{plural}/{getattr(w, 'rep_' + kind).pk}/notes", None)
    cases[f"{plural}.note_create"] = (
        "post",
        lambda w: f"{API}/{plural}/{getattr(w, 'rep_' + kind).pk}/notes",
        lambda w: {"body": "Called back"},
    )
    return cases


CASES: dict[str, Case] = {
    "contacts.list": ("get", lambda w: f"{API}/contacts", None),
    "contacts.create": (
        "post",
        lambda w: f"{API}/contacts",
        lambda w: {"first_name": "New", "emails": ["new@example.com"], "tags": ["VIP"]},
    ),
    "contacts.bulk": (
        "post",
        lambda w: f"{API}/contacts/bulk",
        lambda w: {"items": [{"create": {"first_name": "Bulk"}}]},
    ),
    **_record_cases("contact", "contacts", {"job_title": "Buyer"}),
    "contacts.export": ("get", lambda w: f"{API}/contacts/export", None),
    "contacts.vcard_mate": ("get", lambda w: f"{API}/contacts/{w.mate_contact.pk}/vcard", None),
    "contacts.vcard_far": ("get", lambda w: f"{API}/contacts/{w.far_contact.pk}/vcard", None),
    "companies.list": ("get", lambda w: f"{API}/companies", None),
    "companies.create": ("post", lambda w: f"{API}/companies", lambda w: {"name": "Newco"}),
    "companies.bulk": (
        "post",
        lambda w: f"{API}/companies/bulk",
        lambda w: {"items": [{"create": {"name": "Bulkco"}}]},
    ),
    "companies.people": ("get", lambda w: f"{API}/companies/{w.rep_company.pk}/people", None),
    "companies.export": ("get", lambda w: f"{API}/companies/export", None),
    **_record_cases("company", "companies", {"industry": "Tea"}),
    "notes.patch_rep": ("patch", lambda w: f"{API}/notes/{w.rep_note.pk}", lambda w: {"body": "Edited"}),
    "notes.patch_mate": ("patch", lambda w: f"{API}/notes/{w.mate_note.pk}", lambda w: {"body": "Edited"}),
    "notes.delete_rep": ("delete", lambda w: f"{API}/notes/{w.rep_note.pk}", None),
    "notes.delete_far": ("delete", lambda w: f"{API}/notes/{w.far_note.pk}", None),
    "tags.list": ("get", lambda w: f"{API}/tags", None),
    "tags.create": ("post", lambda w: f"{API}/tags", lambda w: {"name": "Cold", "color": "#112233"}),
    "tags.patch": ("patch", lambda w: f"{API}/tags/{w.tag.pk}", lambda w: {"name": "V.I.P."}),
    "tags.delete": ("delete", lambda w: f"{API}/tags/{w.tag.pk}", None),
    "tags.merge": (
        "post",
        lambda w: f"{API}/tags/merge",
        lambda w: {"source_ids": [w.tag2.pk], "target_id": w.tag.pk},
    ),
    "custom_fields.list": ("get", lambda w: f"{API}/custom-fields", None),
    "custom_fields.create": (
        "post",
        lambda w: f"{API}/custom-fields",
        lambda w: {
            "entity": "company",
            "label": "Tier",
            "field_type": "choice",
            "choices": ["Gold", "Silver"],
        },
    ),
    "custom_fields.patch": (
        "patch",
        lambda w: f"{API}/custom-fields/{w.field.pk}",
        lambda w: {"label": "Yearly budget", "searchable": True},
    ),
    "custom_fields.delete": ("delete", lambda w: f"{API}/custom-fields/{w.field.pk}", None),
    "custom_fields.restore": ("post", lambda w: f"{API}/custom-fields/{w.old_field.pk}/restore", None),
    "lifecycle.list": ("get", lambda w: f"{API}/lifecycle-stages", None),
    "lifecycle.create": ("post", lambda w: f"{API}/lifecycle-stages", lambda w: {"name": "Onboarding"}),
    "lifecycle.patch": (
        "patch",
        lambda w: f"{API}/lifecycle-stages/{w.stage.pk}",
        lambda w: {"name": "Pilot"},
    ),
    "lifecycle.delete": ("delete", lambda w: f"{API}/lifecycle-stages/{w.stage.pk}", None),
    # Duplicates and merging (peyvand/contacts/api_merges.py): merge = change the survivor, delete the others.
    "contacts.duplicates": ("get", lambda w: f"{API}/contacts/duplicates", None),
    "contacts.duplicate_pairs": ("get", lambda w: f"{API}/contacts/duplicate-pairs", None),
    "contacts.merge_mate": (
        "post",
        lambda w: f"{API}/contacts/merge",
        lambda w: {"survivor_id": w.rep_contact.pk, "merge_ids": [w.mate_contact.pk]},
    ),
    "contacts.merge_far": (
        "post",
        lambda w: f"{API}/contacts/merge",
        lambda w: {"survivor_id": w.rep_contact.pk, "merge_ids": [w.far_contact.pk]},
    ),
    "companies.duplicates": ("get", lambda w: f"{API}/companies/duplicates", None),
    "companies.duplicate_pairs": ("get", lambda w: f"{API}/companies/duplicate-pairs", None),
    "companies.merge_mate": (
        "post",
        lambda w: f"{API}/companies/merge",
        lambda w: {"survivor_id": w.rep_company.pk, "merge_ids": [w.mate_company.pk]},
    ),
    "companies.merge_far": (
        "post",
        lambda w: f"{API}/companies/merge",
        lambda w: {"survivor_id": w.rep_company.pk, "merge_ids": [w.far_company.pk]},
    ),
    # Saved views (peyvand/contacts/api_views.py) and `view=` on the lists.
    "saved_views.list": ("get", lambda w: f"{API}/saved-views", None),
    "saved_views.create": (
        "post",
        lambda w: f"{API}/saved-views",
        lambda w: {"entity": "contact", "name": "Fresh", "query": "search=a"},
    ),
    "saved_views.create_shared": (
        "post",
        lambda w: f"{API}/saved-views",
        lambda w: {"entity": "company", "name": "For all", "query": "", "shared": True},
    ),
    "saved_views.get_private": ("get", lambda w: f"{API}/saved-views/{w.private_view.pk}", None),
    "saved_views.get_shared": ("get", lambda w: f"{API}/saved-views/{w.shared_view.pk}", None),
    "saved_views.patch_private": (
        "patch",
        lambda w: f"{API}/saved-views/{w.private_view.pk}",
        lambda w: {"name": "Renamed"},
    ),
    "saved_views.patch_shared": (
        "patch",
        lambda w: f"{API}/saved-views/{w.shared_view.pk}",
        lambda w: {"query": "ordering=name"},
    ),
    "saved_views.unshare_shared": (
        "patch",
        lambda w: f"{API}/saved-views/{w.shared_view.pk}",
        lambda w: {"shared": False},
    ),
    "saved_views.delete_private": ("delete", lambda w: f"{API}/saved-views/{w.private_view.pk}", None),
    "saved_views.delete_shared": ("delete", lambda w: f"{API}/saved-views/{w.shared_view.pk}", None),
    "contacts.list_shared_view": ("get", lambda w: f"{API}/contacts?view={w.shared_view.pk}", None),
    "contacts.list_private_view": ("get", lambda w: f"{API}/contacts?view={w.private_view.pk}", None),
}


def same(status: int, other: int) -> dict[str, int]:
    return expect(**dict.fromkeys(ACME_ACTORS, status), other=other)


def table(ok: int, *allowed: str, refused: int = 403, other: int = 404) -> dict[str, int]:
    """`ok` for the Acme actors named (owner and admin always), `refused` for the rest."""
    who = {"owner", "admin", *allowed}
    return expect(**{a: ok if a in who else refused for a in ACME_ACTORS}, other=other)


# Built-in grants on contacts and companies: everyone views all; everyone but read-only creates; change is
# own for reps and support, team for the manager; delete is own for reps, team for the manager, none for
# support. Notes: the manager changes/deletes the team's, reps and support their own. Tags: the manager
# manages them, reps and support may create them. Custom fields and the lifecycle list: owner and admin.
def _record_rows(plural: str) -> dict[str, dict[str, int]]:
    rows = {f"{plural}.get_{who}": same(200, 404) for who in ("rep", "mate", "far")} | {
        f"{plural}.patch_rep": table(200, "manager", "rep"),
        f"{plural}.patch_mate": table(200, "manager"),
        f"{plural}.patch_far": table(200),
        f"{plural}.delete_rep": table(204, "manager", "rep"),
        f"{plural}.delete_mate": table(204, "manager"),
        f"{plural}.delete_far": table(204),
        f"{plural}.restore_rep": table(200, "manager", "rep"),
        f"{plural}.restore_mate": table(200, "manager"),
        f"{plural}.restore_far": table(200),
        f"{plural}.timeline": same(200, 404),
        f"{plural}.notes": same(200, 404),
        f"{plural}.note_create": table(201, "manager", "rep", "support"),
    }
    return rows


MATRIX: dict[str, dict[str, int]] = {
    "contacts.list": same(200, 200),
    "contacts.create": table(201, "manager", "rep", "support", other=201),
    "contacts.bulk": same(200, 200),  # per-item outcomes: test_bulk_items_follow_the_matrix
    **_record_rows("contacts"),
    # Export: owner and admin all, the manager the team's (rep and teammate), nobody else anything.
    "contacts.export": table(200, "manager", other=200),
    "contacts.vcard_mate": table(200, "manager"),
    "contacts.vcard_far": table(200),
    "companies.list": same(200, 200),
    "companies.create": table(201, "manager", "rep", "support", other=201),
    "companies.bulk": same(200, 200),
    "companies.people": same(200, 404),
    "companies.export": table(200, "manager", other=200),
    **_record_rows("companies"),
    "notes.patch_rep": table(200, "manager", "rep"),
    "notes.patch_mate": table(200, "manager"),
    "notes.delete_rep": table(204, "manager", "rep"),
    "notes.delete_far": table(204),
    "tags.list": same(200, 200),
    "tags.create": table(201, "manager", "rep", "support", other=201),
    "tags.patch": table(200, "manager"),
    "tags.delete": table(204, "manager"),
    "tags.merge": table(200, "manager"),
    "custom_fields.list": same(200, 200),
    "custom_fields.create": table(201, other=201),
    "custom_fields.patch": table(200),
    "custom_fields.delete": table(204),
    "custom_fields.restore": table(200),
    "lifecycle.list": same(200, 200),
    "lifecycle.create": table(201, other=201),
    "lifecycle.patch": table(200),
    "lifecycle.delete": table(204),
    "contacts.duplicates": same(200, 200),
    "contacts.duplicate_pairs": same(200, 200),
    # The manager changes the rep's and deletes the teammate's (team North); the rep may not delete those.
    "contacts.merge_mate": table(200, "manager"),
    "contacts.merge_far": table(200),
    "companies.duplicates": same(200, 200),
    "companies.duplicate_pairs": same(200, 200),
    "companies.merge_mate": table(200, "manager"),
    "companies.merge_far": table(200),
    # Saved views: everyone keeps private views; sharing and changing others' shared views takes the change
    # permission on saved views (owner, admin, the manager by default). Another's private view is 404 to
    # everyone, the workspace owner included.
    "saved_views.list": same(200, 200),
    "saved_views.create": same(201, 201),
    "saved_views.create_shared": table(201, "manager", other=201),
    "saved_views.get_private": expect(**{a: 200 if a == "rep" else 404 for a in ACME_ACTORS}, other=404),
    "saved_views.get_shared": same(200, 404),
    "saved_views.patch_private": expect(**{a: 200 if a == "rep" else 404 for a in ACME_ACTORS}, other=404),
    "saved_views.patch_shared": table(200, "manager"),
    "saved_views.unshare_shared": table(200, "manager"),
    "saved_views.delete_private": expect(**{a: 204 if a == "rep" else 404 for a in ACME_ACTORS}, other=404),
    "saved_views.delete_shared": table(204, "manager"),
    "contacts.list_shared_view": same(200, 404),
    "contacts.list_private_view": expect(**{a: 200 if a == "rep" else 404 for a in ACME_ACTORS}, other=404),
}


def test_matrix_covers_every_operation(cw):
    """Every operation but the accounts' ones has a case here, except imports (multipart uploads: their own
    matrix in test_import_api.py) and deals (peyvand/deals/tests/test_api.py)."""
    operations = api_operations(lambda tags: not tags & {"accounts", "imports", "deals"})
    assert_matrix_complete(operations, CASES, MATRIX, cw)


@pytest.mark.parametrize("case", sorted(MATRIX))
def test_permission_matrix(cw, api_client_for, case):
    # A bulk call answers 200 whatever its items did (see test_bulk_items_follow_the_matrix).
    check_matrix_case(
        cw, api_client_for, CASES[case], MATRIX[case], state=db_state, audited=not case.endswith(".bulk")
    )


@pytest.mark.parametrize(
    "credentials", ["", "Bearer pvk_not-a-real-token", "Basic dXNlcjpwYXNz"], ids=["none", "bad", "basic"]
)
def test_bad_credentials_are_401_everywhere(cw, client, credentials):
    headers = {"HTTP_AUTHORIZATION": credentials} if credentials else {}
    before = db_state()
    for case, (method, path, body) in CASES.items():
        response = send(client, method, path(cw), body(cw) if body else None, **headers)
        assert response.status_code == 401, case
        assert_envelope(response, "not_authenticated")
    assert_unchanged(before)


# ---------------------------------------------------------------- bulk: the same rules, per item


BULK_ITEMS: list[tuple[str, Callable[[Any], dict[str, Any]], dict[str, int]]] = [
    (
        "create",
        lambda w: {"create": {"first_name": "Bulk"}},
        table(201, "manager", "rep", "support", other=201),
    ),
    (
        "update_rep",
        lambda w: {"id": w.rep_contact.pk, "update": {"job_title": "Buyer"}},
        table(200, "manager", "rep"),
    ),
    (
        "update_mate",
        lambda w: {"id": w.mate_contact.pk, "update": {"job_title": "Buyer"}},
        table(200, "manager"),
    ),
    ("update_far", lambda w: {"id": w.far_contact.pk, "update": {"job_title": "Buyer"}}, table(200)),
    (
        "update_other_workspace",
        lambda w: {"id": w.o.contact.pk, "update": {"job_title": "Buyer"}},
        same(404, 200),  # ... and to the member of that workspace, their own contact
    ),
]


@pytest.mark.parametrize("name", [name for name, _item, _row in BULK_ITEMS])
def test_bulk_items_follow_the_matrix(cw, api_client_for, name):
    """Access is re-checked for every row of a bulk call; a refused item changes nothing."""
    _name, item, row = next(entry for entry in BULK_ITEMS if entry[0] == name)
    row = {who: status for who, status in row.items() if who != "anonymous"}

    def check(who: str, status: int) -> None:
        client = api_client_for(actor_of(cw, who))
        before = db_state()
        response = send(client, "post", f"{API}/contacts/bulk", {"items": [item(cw)]})
        assert response.status_code == 200, response.content[:300]
        (result,) = response.json()["results"]
        assert result["status"] == status, result
        if status >= 400:
            assert result["record"] is None and result["id"] is None
            assert set(result["error"]) == {"code", "message", "fields"}
            assert_unchanged(before)
        else:
            assert result["record"]["id"] == result["id"]
            assert result["record"]["version"] == result["version"]

    each_actor(row, check)


# ---------------------------------------------------------------- records of another workspace answer 404

OTHER_RECORD_CASES: dict[str, Case] = {
    "contacts.get": ("get", lambda w: f"{API}/contacts/{w.o.contact.pk}", None),
    "contacts.get_missing": ("get", lambda w: f"{API}/contacts/999999", None),
    "contacts.patch": ("patch", lambda w: f"{API}/contacts/{w.o.contact.pk}", lambda w: {"first_name": "X"}),
    "contacts.delete": ("delete", lambda w: f"{API}/contacts/{w.o.contact.pk}", None),
    "contacts.restore": ("post", lambda w: f"{API}/contacts/{w.o.contact_binned.pk}/restore", None),
    "contacts.restore_alive": ("post", lambda w: f"{API}/contacts/{w.rep_contact.pk}/restore", None),
    "contacts.get_binned": ("get", lambda w: f"{API}/contacts/{w.rep_contact_binned.pk}", None),
    "contacts.patch_binned": (
        "patch",
        lambda w: f"{API}/contacts/{w.rep_contact_binned.pk}",
        lambda w: {"first_name": "X"},
    ),
    "contacts.timeline": ("get", lambda w: f"{API}/contacts/{w.o.contact.pk}/timeline", None),
    "contacts.notes": ("get", lambda w: f"{API}/contacts/{w.o.contact.pk}/notes", None),
    "contacts.vcard": ("get", lambda w: f"{API}/contacts/{w.o.contact.pk}/vcard", None),
    "contacts.vcard_binned": ("get", lambda w: f"{API}/contacts/{w.rep_contact_binned.pk}/vcard", None),
    "contacts.note_create": (
        "post",
        lambda w: f"{API}/contacts/{w.o.contact.pk}/notes",
        lambda w: {"body": "Mine now"},
    ),
    "companies.get": ("get", lambda w: f"{API}/companies/{w.o.company.pk}", None),
    "companies.patch": ("patch", lambda w: f"{API}/companies/{w.o.company.pk}", lambda w: {"name": "X"}),
    "companies.delete": ("delete", lambda w: f"{API}/companies/{w.o.company.pk}", None),
    "companies.restore": ("post", lambda w: f"{API}/companies/{w.o.company_binned.pk}/restore", None),
    "companies.people": ("get", lambda w: f"{API}/companies/{w.o.company.pk}/people", None),
    "companies.timeline": ("get", lambda w: f"{API}/companies/{w.o.company.pk}/timeline", None),
    "companies.notes": ("get", lambda w: f"{API}/companies/{w.o.company.pk}/notes", None),
    "notes.patch": ("patch", lambda w: f"{API}/notes/{w.o.note.pk}", lambda w: {"body": "Mine now"}),
    "notes.delete": ("delete", lambda w: f"{API}/notes/{w.o.note.pk}", None),
    "tags.patch": ("patch", lambda w: f"{API}/tags/{w.o.tag.pk}", lambda w: {"name": "Mine now"}),
    "tags.delete": ("delete", lambda w: f"{API}/tags/{w.o.tag.pk}", None),
    "tags.merge_into_theirs": (
        "post",
        lambda w: f"{API}/tags/merge",
        lambda w: {"source_ids": [w.tag.pk], "target_id": w.o.tag.pk},
    ),
    "custom_fields.patch": (
        "patch",
        lambda w: f"{API}/custom-fields/{w.o.field.pk}",
        lambda w: {"label": "Mine now"},
    ),
    "custom_fields.delete": ("delete", lambda w: f"{API}/custom-fields/{w.o.field.pk}", None),
    "custom_fields.restore": ("post", lambda w: f"{API}/custom-fields/{w.o.old_field.pk}/restore", None),
    "custom_fields.restore_alive": ("post", lambda w: f"{API}/custom-fields/{w.field.pk}/restore", None),
    "lifecycle.patch": ("patch", lambda w: f"{API}/lifecycle-stages/{w.o.stage.pk}", lambda w: {"name": "X"}),
    "lifecycle.delete": ("delete", lambda w: f"{API}/lifecycle-stages/{w.o.stage.pk}", None),
    "saved_views.get": ("get", lambda w: f"{API}/saved-views/{w.o.view.pk}", None),
    "saved_views.patch": ("patch", lambda w: f"{API}/saved-views/{w.o.view.pk}", lambda w: {"name": "X"}),
    "saved_views.delete": ("delete", lambda w: f"{API}/saved-views/{w.o.view.pk}", None),
    "contacts.list_their_view": ("get", lambda w: f"{API}/contacts?view={w.o.view.pk}", None),
}


@pytest.mark.parametrize("case", sorted(OTHER_RECORD_CASES))
def test_other_workspace_records_are_404(cw, api_client_for, case):
    method, path, body = OTHER_RECORD_CASES[case]

    def check(who: str, status: int) -> None:
        client = api_client_for(actor_of(cw, who))
        before = db_state()
        response = send(client, method, path(cw), body(cw) if body else None)
        assert response.status_code == status, response.content[:300]
        assert_envelope(response, "not_found")
        assert_unchanged(before)

    each_actor({"owner": 404, "admin": 404}, check)


LINK_CASES: dict[str, tuple[str, Callable[[Any], Any], str]] = {
    "contact_to_their_company": (
        f"{API}/contacts",
        lambda w: {"first_name": "X", "company_id": w.o.company.pk},
        "company_id",
    ),
    "contact_to_their_member": (
        f"{API}/contacts",
        lambda w: {"first_name": "X", "owner_id": w.other_owner.pk},
        "owner_id",
    ),
    "contact_at_their_stage": (
        f"{API}/contacts",
        lambda w: {"first_name": "X", "lifecycle_stage_id": w.o.stage.pk},
        "lifecycle_stage_id",
    ),
    "contact_with_their_custom_field": (
        f"{API}/contacts",
        lambda w: {"first_name": "X", "custom": {w.o.field.key: "x"}},
        "custom.secret",
    ),
    "contact_to_a_binned_company": (
        f"{API}/contacts",
        lambda w: {"first_name": "X", "company_id": w.rep_company_binned.pk},
        "company_id",
    ),
    "company_under_their_parent": (
        f"{API}/companies",
        lambda w: {"name": "X", "parent_id": w.o.company.pk},
        "parent_id",
    ),
    "merge_their_tag_into_ours": (
        f"{API}/tags/merge",
        lambda w: {"source_ids": [w.o.tag.pk], "target_id": w.tag.pk},
        "source_ids",
    ),
}


@pytest.mark.parametrize("case", sorted(LINK_CASES))
def test_records_of_another_workspace_cannot_be_linked(cw, api_client_for, case):
    """An id of another workspace's row in a body is an unknown value (422 naming the field)."""
    path, body, field = LINK_CASES[case]
    client = api_client_for(cw.owner)
    before = db_state()
    response = send(client, "post", path, body(cw))
    assert response.status_code == 422, response.content[:300]
    assert field in assert_envelope(response, "validation_error")["fields"]
    assert_unchanged(before)


def test_patch_refs_of_another_workspace_are_refused(cw, api_client_for):
    client = api_client_for(cw.owner)
    before = db_state()
    for body, field in (
        ({"company_id": cw.o.company.pk}, "company_id"),
        ({"owner_id": cw.other_owner.pk}, "owner_id"),
        ({"lifecycle_stage_id": cw.o.stage.pk}, "lifecycle_stage_id"),
    ):
        response = send(client, "patch", f"{API}/contacts/{cw.rep_contact.pk}", body)
        assert response.status_code == 422, response.content[:300]
        assert field in assert_envelope(response, "validation_error")["fields"]
    assert_unchanged(before)


# ---------------------------------------------------------------- narrower scopes: unseen is 404


@pytest.fixture
def team_scoped(cw):
    """Reps see only their team's contacts and companies (view: team)."""
    role = cw.rep.role
    permissions = {**role.permissions}
    for entity in ("contact", "company"):
        permissions[entity] = {**permissions[entity], "view": "team"}
    account_services.role_update(actor=cw.owner, role=role, changes={"permissions": permissions})
    return cw


TEAM_SCOPE = {
    # the rep sees their own and the teammate's; the far rep's rows do not exist for them
    "contacts.get_rep": 200,
    "contacts.get_mate": 200,
    "contacts.get_far": 404,
    "contacts.patch_rep": 200,
    "contacts.patch_mate": 403,
    "contacts.patch_far": 404,
    "contacts.delete_mate": 403,
    "contacts.delete_far": 404,
    "contacts.restore_mate": 403,
    "contacts.restore_far": 404,
    "companies.get_far": 404,
    "companies.patch_mate": 403,
    "companies.patch_far": 404,
    "companies.restore_far": 404,
}


@pytest.mark.parametrize("case", sorted(TEAM_SCOPE))
def test_records_outside_a_team_scope_are_404(team_scoped, api_client_for, case):
    method, path, body = CASES[case]
    client = api_client_for(team_scoped.rep)
    before = db_state()
    response = send(client, method, path(team_scoped), body(team_scoped) if body else None)
    assert response.status_code == TEAM_SCOPE[case], response.content[:300]
    if response.status_code >= 400:
        assert_envelope(response, "not_found" if TEAM_SCOPE[case] == 404 else "permission_denied")
        assert_unchanged(before)


def test_notes_of_unseen_records_are_404(team_scoped, api_client_for):
    client = api_client_for(team_scoped.rep)
    before = db_state()
    for method, path, body in (
        ("patch", f"{API}/notes/{team_scoped.far_note.pk}", {"body": "x"}),
        ("delete", f"{API}/notes/{team_scoped.far_note.pk}", None),
        ("get", f"{API}/contacts/{team_scoped.far_contact.pk}/notes", None),
        ("post", f"{API}/contacts/{team_scoped.far_contact.pk}/notes", {"body": "x"}),
        ("get", f"{API}/contacts/{team_scoped.far_contact.pk}/timeline", None),
    ):
        response = send(client, method, path, body)
        assert response.status_code == 404, (method, path)
    assert_unchanged(before)


def test_a_company_out_of_sight_cannot_be_linked_nor_shown(team_scoped, api_client_for):
    """A contact the rep sees, at a company they do not: the link shows as null and cannot be made."""
    client = api_client_for(team_scoped.rep)
    make_contact(team_scoped.owner, "Linked", "Far", owner=team_scoped.rep, company=team_scoped.far_company)
    listed = client.get(f"{API}/contacts", {"search": "linked far"}).json()["items"]
    assert [item["company"] for item in listed] == [None]
    assert "Far Trading" not in client.get(f"{API}/contacts", {"limit": 200}).content.decode()
    response = send(
        client, "post", f"{API}/contacts", {"first_name": "X", "company_id": team_scoped.far_company.pk}
    )
    assert response.status_code == 422
    assert "company_id" in response.json()["fields"]


# ---------------------------------------------------------------- lists: exactly what the role reaches


def _listed(client: Any, path: str) -> list[int]:
    response = client.get(path, {"limit": 200})
    assert response.status_code == 200, response.content[:300]
    assert response.json()["next_cursor"] is None
    return [item["id"] for item in response.json()["items"]]


@pytest.mark.parametrize("scope", ["all", "team", "own"])
@pytest.mark.parametrize("plural", ["contacts", "companies"])
def test_lists_show_exactly_what_the_role_reaches(cw, api_client_for, scope, plural):
    entity = "contact" if plural == "contacts" else "company"
    model = Contact if plural == "contacts" else Company
    role = cw.rep.role
    permissions = {**role.permissions, entity: {**role.permissions[entity], "view": scope}}
    account_services.role_update(actor=cw.owner, role=role, changes={"permissions": permissions})
    owners = {
        "all": None,
        "team": {cw.rep.pk, cw.teammate.pk, cw.manager.pk},
        "own": {cw.rep.pk},
    }[scope]
    rows = model.objects.filter(workspace=cw.workspace)
    if owners is not None:
        rows = rows.filter(owner_id__in=owners)

    seen = _listed(api_client_for(cw.rep), f"{API}/{plural}")

    assert len(seen) == len(set(seen)), "a row was listed twice"
    assert set(seen) == set(rows.values_list("pk", flat=True))
    # the owner always sees the whole workspace, never another's
    everything = _listed(api_client_for(cw.owner), f"{API}/{plural}")
    assert set(everything) == set(model.objects.filter(workspace=cw.workspace).values_list("pk", flat=True))


def test_read_only_members_see_tags_fields_and_stages_but_change_nothing(cw, api_client_for):
    client = api_client_for(cw.read_only)
    assert {t["name"] for t in client.get(f"{API}/tags").json()["items"]} == {"VIP", "Hot"}
    assert [f["key"] for f in client.get(f"{API}/custom-fields").json()["items"]] == ["budget"]
    assert "trial" in {s["key"] for s in client.get(f"{API}/lifecycle-stages").json()["items"]}


def test_a_role_without_tag_view_sees_no_tags(cw, api_client_for):
    role = cw.read_only.role
    permissions = {**role.permissions, "tag": {}}
    account_services.role_update(actor=cw.owner, role=role, changes={"permissions": permissions})
    client = api_client_for(cw.read_only)
    assert client.get(f"{API}/tags").json()["items"] == []
    before = db_state()
    response = send(client, "patch", f"{API}/tags/{cw.tag.pk}", {"name": "X"})
    assert response.status_code == 404
    assert_unchanged(before)
