"""Saved views over the API: /api/v1/saved-views (list, create, read, change, delete) and `view=` on the
contact and company lists — with the caller's permissions, never the view owner's."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from peyvand.accounts import services as account_services
from peyvand.accounts.tests.test_api_matrix import assert_envelope, send
from peyvand.contacts import saved_views
from peyvand.contacts.models import SavedView
from peyvand.contacts.tests.factories import make_company, make_contact
from peyvand.core.events import OutboxEvent
from peyvand.core.models import AuditEntry, Tag

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def sv(world):
    """VIP contacts owned by the rep, the teammate and the far rep, one plain contact, two companies; the
    manager's shared view of the VIPs and the rep's private view."""
    w = world
    w.rep_vip = make_contact(w.manager, "Vip", "Rep", owner=w.rep, tags=["VIP"])
    w.mate_vip = make_contact(w.manager, "Vip", "Mate", owner=w.teammate, tags=["VIP"])
    w.far_vip = make_contact(w.manager, "Vip", "Far", owner=w.outsider_rep, tags=["VIP"])
    w.plain = make_contact(w.manager, "Plain", "Rep", owner=w.rep)
    w.vip = Tag.objects.get(workspace=w.workspace, name="VIP")
    w.shared = saved_views.saved_view_create(
        actor=w.manager, entity="contact", name="VIPs", query=f"tag={w.vip.pk}&ordering=-name", shared=True
    )
    w.private = saved_views.saved_view_create(
        actor=w.rep, entity="contact", name="Mine", query="search=plain"
    )
    w.firms = make_company(w.owner, "Alpha Firm"), make_company(w.owner, "Beta Firm")
    w.company_view = saved_views.saved_view_create(
        actor=w.owner, entity="company", name="Betas", query="search=beta", shared=True
    )
    return w


def _names(response) -> list[str]:
    assert response.status_code == 200, response.content[:300]
    return [f"{item['first_name']} {item['last_name']}" for item in response.json()["items"]]


# ---------------------------------------------------------------- the resource


def test_list_shows_own_and_shared_views_with_what_the_caller_may_do(sv, api_client_for):
    body = api_client_for(sv.rep).get(f"{API}/saved-views").json()
    by_name = {item["name"]: item for item in body["items"]}
    assert list(by_name) == ["Betas", "Mine", "VIPs"] and body["next_cursor"] is None
    mine, shared = by_name["Mine"], by_name["VIPs"]
    assert (mine["mine"], mine["shared"], mine["query"]) == (True, False, "search=plain")
    assert mine["permissions"] == {"change": True, "share": False, "unshare": True, "delete": True}
    assert shared["owner"] == {"id": sv.manager.pk, "name": sv.manager.user.full_name}
    assert shared["filters"] == {"ordering": ["-name"], "tag": [str(sv.vip.pk)]}
    assert shared["permissions"] == {"change": False, "share": False, "unshare": False, "delete": False}
    # the teammate does not see the rep's private view; the manager may change the shared one
    teammate = api_client_for(sv.teammate).get(f"{API}/saved-views", {"entity": "contact"}).json()
    assert [item["name"] for item in teammate["items"]] == ["VIPs"]
    manager = api_client_for(sv.manager).get(f"{API}/saved-views", {"entity": "contact"}).json()
    assert manager["items"][0]["permissions"] == {
        "change": True,
        "share": True,
        "unshare": True,
        "delete": True,
    }


def test_list_filters_and_pages(sv, api_client_for):
    client = api_client_for(sv.rep)
    for i in range(3):
        saved_views.saved_view_create(actor=sv.rep, entity="contact", name=f"Page {i}", query="")
    assert [v["name"] for v in client.get(f"{API}/saved-views", {"shared": "false"}).json()["items"]] == [
        "Mine",
        "Page 0",
        "Page 1",
        "Page 2",
    ]
    assert [v["name"] for v in client.get(f"{API}/saved-views", {"shared": "true"}).json()["items"]] == [
        "Betas",
        "VIPs",
    ]
    seen, cursor = [], None
    while True:
        page = client.get(f"{API}/saved-views", {"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [v["name"] for v in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["Betas", "Mine", "Page 0", "Page 1", "Page 2", "VIPs"]
    response = client.get(f"{API}/saved-views", {"entity": "deal"})
    assert response.status_code == 422 and "entity" in assert_envelope(response, "validation_error")["fields"]
    assert client.get(f"{API}/saved-views", {"cursor": "garbage"}).status_code == 422


def test_list_query_count_does_not_grow_with_views(sv, api_client_for):
    client = api_client_for(sv.owner)
    client.get(f"{API}/saved-views")  # the token's first use is recorded and its member cached

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"{API}/saved-views", {"limit": 100}).status_code == 200
        return len(queries)

    count()
    small = count()
    for i in range(20):
        saved_views.saved_view_create(actor=sv.manager, entity="contact", name=f"V{i}", query="", shared=True)
    assert count() == small


def test_create_read_update_delete(sv, api_client_for):
    client = api_client_for(sv.manager)
    created = send(
        client,
        "post",
        f"{API}/saved-views",
        {"entity": "company", "name": "  Tea   firms ", "query": "?search=tea&cursor=x&columns=domain"},
    )
    assert created.status_code == 201, created.content
    view = created.json()
    assert (view["name"], view["query"], view["shared"], view["version"]) == (
        "Tea firms",
        "columns=domain&search=tea",
        False,
        1,
    )
    path = f"{API}/saved-views/{view['id']}"
    assert client.get(path).json() == view
    changed = send(client, "patch", path, {"shared": True, "query": "search=coffee"}, HTTP_IF_MATCH="1")
    assert changed.status_code == 200, changed.content
    assert (changed.json()["shared"], changed.json()["query"], changed.json()["version"]) == (
        True,
        "search=coffee",
        2,
    )
    stale = send(client, "patch", path, {"name": "Late"}, HTTP_IF_MATCH="1")
    assert stale.status_code == 412
    assert_envelope(stale, "precondition_failed")
    conflict = send(client, "patch", path, {"name": "Late", "expected_version": 1})
    assert conflict.status_code == 409
    assert send(client, "delete", path).status_code == 204
    assert client.get(path).status_code == 404
    entries = AuditEntry.objects.filter(entity="saved_view", record_id=str(view["id"])).order_by("pk")
    assert [e.action for e in entries] == [
        "create",
        "update",
        "delete",
    ]
    assert {e.channel for e in AuditEntry.objects.filter(entity="saved_view", record_id=str(view["id"]))} == {
        "api"
    }


def test_refusals_are_clear_and_change_nothing(sv, api_client_for):
    client = api_client_for(sv.rep)
    before = list(SavedView.objects.order_by("pk").values())
    cases = [
        ({"entity": "contact", "name": "Mine"}, 422, "name"),  # taken by the rep for contacts
        ({"entity": "contact", "name": "   "}, 422, "name"),
        ({"entity": "contact", "name": "x" * 101}, 422, "name"),
        ({"entity": "deal", "name": "Deals"}, 422, "entity"),
        ({"entity": "contact", "name": "Bad", "query": "ordering=shoe_size"}, 422, "ordering"),
        ({"entity": "contact", "name": "Bad", "query": "tag=abc"}, 422, "tag"),
        ({"entity": "contact", "name": "Bad", "query": "created_from=\x00"}, 422, "query"),
        ({"entity": "contact", "name": "Team", "shared": True}, 403, "shared"),  # reps may not share
        ({"entity": "contact", "name": "Extra", "owner_id": sv.manager.pk}, 422, "owner_id"),
        ({"entity": "contact", "name": "Bool", "shared": "maybe"}, 422, "shared"),
    ]
    for body, status, field in cases:
        response = send(client, "post", f"{API}/saved-views", body)
        assert response.status_code == status, (body, response.content)
        assert field in assert_envelope(response)["fields"], (body, response.json())
    mine = f"{API}/saved-views/{sv.private.pk}"
    for body, status, field in [
        ({"name": None}, 422, "name"),
        ({"shared": True}, 403, "shared"),
        ({"query": "owner=someone"}, 422, "owner"),
    ]:
        response = send(client, "patch", mine, body)
        assert response.status_code == status, (body, response.content)
        assert field in assert_envelope(response)["fields"]
    assert list(SavedView.objects.order_by("pk").values()) == before


def test_idempotency_key_creates_once(sv, api_client_for):
    client = api_client_for(sv.rep)
    key = {"HTTP_IDEMPOTENCY_KEY": "save-view-1"}
    body = {"entity": "contact", "name": "Again", "query": "search=a"}
    first = send(client, "post", f"{API}/saved-views", body, **key)
    again = send(client, "post", f"{API}/saved-views", body, **key)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content and again.headers.get("Idempotent-Replayed") == "true"
    assert SavedView.objects.filter(name="Again").count() == 1
    assert (
        OutboxEvent.objects.filter(name="saved_view.created", record_id=str(first.json()["id"])).count() == 1
    )


@pytest.mark.parametrize(
    ("who", "get", "patch", "delete"),
    [
        ("rep", 200, 200, 204),  # the owner
        ("teammate", 404, 404, 404),
        ("manager", 404, 404, 404),
        ("owner", 404, 404, 404),  # private is private, even for the workspace owner
        ("other_owner", 404, 404, 404),
    ],
)
def test_another_members_private_view_is_404(sv, api_client_for, who, get, patch, delete):
    client = api_client_for(getattr(sv, who))
    path = f"{API}/saved-views/{sv.private.pk}"
    assert client.get(path).status_code == get
    assert client.get(f"{API}/contacts", {"view": sv.private.pk}).status_code == get
    response = send(client, "patch", path, {"name": "Taken over"})
    assert response.status_code == patch
    sv.private.refresh_from_db()
    assert (sv.private.name == "Taken over") is (patch == 200)
    assert send(client, "delete", path).status_code == delete
    assert SavedView.objects.filter(pk=sv.private.pk).exists() is (delete != 204)


@pytest.mark.parametrize(
    ("who", "patch", "delete"),
    [
        ("manager", 200, 204),  # its owner
        ("owner", 200, 204),
        ("admin", 200, 204),
        ("rep", 403, 403),  # sees it, may not touch it
        ("support", 403, 403),
        ("read_only", 403, 403),
        ("other_owner", 404, 404),
    ],
)
def test_who_may_change_a_shared_view(sv, api_client_for, who, patch, delete):
    client = api_client_for(getattr(sv, who))
    path = f"{API}/saved-views/{sv.shared.pk}"
    before = sv.shared.query
    response = send(client, "patch", path, {"query": "search=x"})
    assert response.status_code == patch, response.content
    sv.shared.refresh_from_db()
    assert (sv.shared.query != before) is (patch == 200)
    if patch != 200:
        assert_envelope(response, "permission_denied" if patch == 403 else "not_found")
    assert send(client, "delete", path).status_code == delete


# ---------------------------------------------------------------- view= on the lists


def test_view_on_the_contact_list_applies_with_overrides(sv, api_client_for):
    client = api_client_for(sv.owner)
    assert _names(client.get(f"{API}/contacts", {"view": sv.shared.pk})) == ["Vip Rep", "Vip Mate", "Vip Far"]
    # ordering given replaces the view's; a filter given is added; an empty one clears the view's
    assert _names(client.get(f"{API}/contacts", {"view": sv.shared.pk, "ordering": "name"})) == [
        "Vip Far",
        "Vip Mate",
        "Vip Rep",
    ]
    assert _names(client.get(f"{API}/contacts", {"view": sv.shared.pk, "owner": sv.rep.pk})) == ["Vip Rep"]
    assert len(_names(client.get(f"{API}/contacts", {"view": sv.shared.pk, "tag": ""}))) == 4
    response = client.get(f"{API}/contacts", {"view": sv.shared.pk, "with_total": "true", "limit": 1})
    assert response.json()["total"] == 3 and len(response.json()["items"]) == 1
    next_page = client.get(
        f"{API}/contacts", {"view": sv.shared.pk, "cursor": response.json()["next_cursor"]}
    )
    assert _names(next_page) == ["Vip Mate", "Vip Far"]


def test_view_on_the_company_list_and_a_companys_people(sv, api_client_for):
    client = api_client_for(sv.rep)
    response = client.get(f"{API}/companies", {"view": sv.company_view.pk})
    assert [item["name"] for item in response.json()["items"]] == ["Beta Firm"]
    wrong = client.get(f"{API}/companies", {"view": sv.shared.pk})
    assert wrong.status_code == 422 and "view" in assert_envelope(wrong, "validation_error")["fields"]
    assert client.get(f"{API}/contacts", {"view": sv.company_view.pk}).status_code == 422
    assert client.get(f"{API}/contacts", {"view": 999999}).status_code == 404
    assert client.get(f"{API}/contacts", {"view": "abc"}).status_code == 422
    company = make_company(sv.owner, "Vip Corp")
    make_contact(sv.owner, "Vip", "Employee", company=company, tags=["VIP"])
    make_contact(sv.owner, "Other", "Employee", company=company)
    people = client.get(f"{API}/companies/{company.pk}/people", {"view": sv.shared.pk})
    assert _names(people) == ["Vip Employee"]


def test_a_shared_view_never_reveals_records_outside_the_callers_scope(sv, api_client_for):
    """A rep whose role sees only their own contacts opens the manager's shared VIP view: only the rep's
    VIP, even though the manager sees three."""
    role = sv.rep.role
    permissions = {**role.permissions, "contact": {**role.permissions["contact"], "view": "own"}}
    account_services.role_update(actor=sv.owner, role=role, changes={"permissions": permissions})
    assert len(_names(api_client_for(sv.manager).get(f"{API}/contacts", {"view": sv.shared.pk}))) == 3
    client = api_client_for(sv.rep)
    assert _names(client.get(f"{API}/contacts", {"view": sv.shared.pk})) == ["Vip Rep"]
    # overriding the view's filters does not widen it either
    assert _names(client.get(f"{API}/contacts", {"view": sv.shared.pk, "tag": "", "owner": ""})) == [
        "Vip Rep",
        "Plain Rep",
    ]
    assert client.get(f"{API}/contacts", {"view": sv.shared.pk, "with_total": "true"}).json()["total"] == 1


def test_a_shared_view_filtering_by_a_field_the_caller_may_not_see_is_refused(sv, api_client_for):
    """The manager's view filters by tag; a rep whose role hides tags gets the filter refused (422 naming
    it), not the rows it would pick out."""
    account_services.role_update(
        actor=sv.owner, role=sv.rep.role, changes={"field_rules": {"contact": {"tags": "hidden"}}}
    )
    response = api_client_for(sv.rep).get(f"{API}/contacts", {"view": sv.shared.pk})
    assert response.status_code == 422
    assert "tag" in assert_envelope(response, "validation_error")["fields"]
    # without the view's tag filter the list answers
    assert len(_names(api_client_for(sv.rep).get(f"{API}/contacts", {"view": sv.shared.pk, "tag": ""}))) == 4
