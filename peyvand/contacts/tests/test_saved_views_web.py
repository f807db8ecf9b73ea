"""Saved views in the browser: the Views menu on the contact and company lists, opening a view (its filters,
columns and order, parameters on top), saving, updating, renaming, sharing and deleting — and who may."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from peyvand.accounts import services as account_services
from peyvand.contacts import saved_views
from peyvand.contacts.models import SavedView
from peyvand.contacts.tests.factories import make_company, make_contact
from peyvand.core.models import AuditEntry, Tag

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def web(world):
    """VIP contacts of the rep, the teammate and the far rep, one plain contact of the rep; the manager's
    shared "VIPs" view (newest first, with the e-mail column) and the rep's private "Plain ones"."""
    w = world
    w.rep_vip = make_contact(w.manager, "Vip", "Rep", owner=w.rep, tags=["VIP"], emails=["rep@example.com"])
    w.mate_vip = make_contact(w.manager, "Vip", "Mate", owner=w.teammate, tags=["VIP"])
    w.far_vip = make_contact(w.manager, "Vip", "Far", owner=w.outsider_rep, tags=["VIP"])
    w.plain = make_contact(w.manager, "Plain", "Rep", owner=w.rep)
    w.vip = Tag.objects.get(workspace=w.workspace, name="VIP")
    w.shared = saved_views.saved_view_create(
        actor=w.manager,
        entity="contact",
        name="VIPs",
        query=f"tag={w.vip.pk}&ordering=-name&columns=email",
        shared=True,
    )
    w.private = saved_views.saved_view_create(
        actor=w.rep, entity="contact", name="Plain ones", query="search=plain"
    )
    return w


def _rows(response) -> list[str]:
    """The names in the list's rows, in order."""
    html = response.content.decode()
    return re.findall(r'<th scope="row" class="fw-normal"><a href="[^"]+"><bdi>([^<]+)</bdi>', html)


def _list(client, **params):
    return client.get(reverse("contacts:contact_list"), params)


# ---------------------------------------------------------------- the menu and opening a view


def test_the_menu_lists_all_my_views_and_shared_ones(web, web_client_for):
    html = _list(web_client_for(web.rep)).content.decode()
    menu = html[html.index('id="pv-views"') : html.index('id="pv-views-manage"')]
    assert "All contacts" in menu
    assert f'href="/contacts/?view={web.private.pk}"' in menu and "Plain ones" in menu
    assert f'href="/contacts/?view={web.shared.pk}"' in menu
    assert web.manager.user.full_name in menu  # a shared view names its owner
    assert menu.index("My views") < menu.index("Plain ones") < menu.index("Shared with the workspace")
    assert 'id="pv-view-name"' not in html  # no view open
    # another member does not see the rep's private view
    teammate = _list(web_client_for(web.teammate)).content.decode()
    assert "Plain ones" not in teammate and "VIPs" in teammate
    # the company list has its own views
    company_view = saved_views.saved_view_create(actor=web.rep, entity="company", name="Firms", query="")
    companies = web_client_for(web.rep).get(reverse("contacts:company_list")).content.decode()
    assert "All companies" in companies and f"/companies/?view={company_view.pk}" in companies
    assert "Plain ones" not in companies


def test_opening_a_view_applies_its_filters_columns_and_order(web, web_client_for):
    client = web_client_for(web.owner)
    response = _list(client, view=web.shared.pk)
    assert response.status_code == 200
    assert _rows(response) == ["Vip Rep", "Vip Mate", "Vip Far"]  # the tag, newest name last: -name
    html = response.content.decode()
    assert (
        '<span class="badge text-bg-primary fw-normal align-middle" id="pv-view-name"><bdi>VIPs</bdi>' in html
    )
    assert "<title>VIPs · Contacts" in html
    assert 'data-column="email"' in html and "rep@example.com" in html
    assert 'id="pv-view-changed"' not in html  # nothing differs from the view
    # the filter form shows the view's tag and keeps the view open
    assert f'<option value="{web.vip.pk}" selected>' in html
    assert f'<input type="hidden" name="view" value="{web.shared.pk}">' in html
    assert '<input type="hidden" name="tag" value="" data-keep>' in html
    # the count, the export links and the sort links carry the view
    assert f"/contacts/count/?view={web.shared.pk}" in html
    assert f"/contacts/export/?view={web.shared.pk}&amp;format=csv" in html
    count = client.get(reverse("contacts:contact_count"), {"view": web.shared.pk})
    assert count.content.decode() == "3 contacts"


def test_parameters_on_top_of_a_view_override_it(web, web_client_for):
    client = web_client_for(web.owner)
    # a parameter given replaces the view's of that name
    assert _rows(_list(client, view=web.shared.pk, ordering="name")) == ["Vip Far", "Vip Mate", "Vip Rep"]
    # a new filter narrows; an empty one clears the view's (what the filter form sends after clearing tags)
    assert _rows(_list(client, view=web.shared.pk, owner=web.rep.pk)) == ["Vip Rep"]
    cleared = _list(client, view=web.shared.pk, tag="")
    assert _rows(cleared) == ["Vip Rep", "Vip Mate", "Vip Far", "Plain Rep"]
    html = cleared.content.decode()
    # the workspace owner changes anyone's shared views: "Update view" is offered
    assert 'id="pv-view-changed"' in html and 'id="pv-view-update"' in html
    # a form sending `tag=` before the tags chosen keeps the chosen ones
    other = Tag.objects.create(workspace=web.workspace, name="Other", name_normalized="other")
    assert _rows(client.get(f"/contacts/?view={web.shared.pk}&tag=&tag={other.pk}")) == []
    assert client.get(reverse("contacts:contact_count"), {"view": web.shared.pk, "tag": ""}).content == (
        b"4 contacts"
    )


def test_unknown_foreign_and_private_views_are_404(web, web_client_for):
    company_view = saved_views.saved_view_create(actor=web.rep, entity="company", name="Firms", query="")
    rep = web_client_for(web.rep)
    for value in ("999999", "abc", str(2**64), str(company_view.pk)):
        assert _list(rep, view=value).status_code == 404, value
        assert rep.get(reverse("contacts:contact_count"), {"view": value}).content == b""
    for member in (web.teammate, web.owner, web.other_owner):
        assert _list(web_client_for(member), view=web.private.pk).status_code == 404
    assert web_client_for(web.other_owner).get(f"/contacts/?view={web.shared.pk}").status_code == 404
    # a view of the contact list is not a view of the company list
    assert rep.get(reverse("contacts:company_list"), {"view": web.private.pk}).status_code == 404


def test_a_shared_view_shows_a_rep_only_their_own_records(web, web_client_for):
    role = web.rep.role
    permissions = {**role.permissions, "contact": {**role.permissions["contact"], "view": "own"}}
    account_services.role_update(actor=web.owner, role=role, changes={"permissions": permissions})
    client = web_client_for(web.rep)
    assert _rows(_list(client, view=web.shared.pk)) == ["Vip Rep"]
    assert _rows(_list(client, view=web.shared.pk, tag="")) == ["Vip Rep", "Plain Rep"]
    assert client.get(reverse("contacts:contact_count"), {"view": web.shared.pk}).content == b"1 contact"


# ---------------------------------------------------------------- saving


def test_save_the_current_filters_as_a_view(web, web_client_for):
    client = web_client_for(web.manager)
    page = _list(client, tag=web.vip.pk, ordering="-created_at", columns="email,phone", cursor="x").content
    assert 'id="pv-save-view"' in page.decode() and 'name="shared"' in page.decode()
    query = re.search(r'name="query" value="([^"]*)"', page.decode()).group(1).replace("&amp;", "&")
    response = client.post(reverse("contacts:contact_view_save"), {"name": "Newest VIPs", "query": query})
    view = SavedView.objects.get(name="Newest VIPs")
    assert response.status_code == 302 and response["Location"] == f"/contacts/?view={view.pk}"
    assert view.query == f"columns=email%2Cphone&ordering=-created_at&tag={web.vip.pk}"
    assert (view.owner, view.shared, view.entity) == (web.manager, False, "contact")
    assert "Newest VIPs" in client.get(response["Location"]).content.decode()
    # shared, with htmx: the browser is sent to the new view
    shared = client.post(
        reverse("contacts:contact_view_save"), {"name": "Team VIPs", "query": query, "shared": "on"}, **HX
    )
    assert shared.status_code == 200 and shared["HX-Redirect"].startswith("/contacts/?view=")
    assert SavedView.objects.get(name="Team VIPs").shared is True
    entry = AuditEntry.objects.filter(entity="saved_view").latest("pk")
    assert (entry.action, entry.channel, entry.actor_id) == ("create", "ui", web.manager.pk)


def test_save_as_new_from_an_open_view_keeps_what_the_list_shows(web, web_client_for):
    client = web_client_for(web.rep)
    html = _list(client, view=web.shared.pk, owner="me").content.decode()
    assert 'id="pv-view-changed"' in html and 'id="pv-view-save-new"' in html
    query = re.search(r'name="query" value="([^"]*)"', html).group(1).replace("&amp;", "&")
    client.post(reverse("contacts:contact_view_save"), {"name": "My VIPs", "query": query})
    view = SavedView.objects.get(name="My VIPs")
    assert view.query == f"columns=email&ordering=-name&owner=me&tag={web.vip.pk}"
    assert view.owner == web.rep and view.shared is False


def test_save_refusals_are_shown_on_the_form(web, web_client_for):
    client = web_client_for(web.rep)
    url = reverse("contacts:contact_view_save")
    before = list(SavedView.objects.values())
    for data, message in [
        ({"name": "", "query": ""}, "This field is required."),
        ({"name": "   ", "query": ""}, "This field is required."),
        ({"name": "Plain ones", "query": ""}, "There is a view with this name already."),
        ({"name": "x" * 101, "query": ""}, "Ensure this value has at most 100 characters"),
        ({"name": "Bad", "query": "ordering=shoe_size"}, "Order by one of"),
    ]:
        response = client.post(url, data, **HX)
        html = response.content.decode()
        assert response.status_code == 422, data
        assert "<html" not in html and 'id="pv-save-view"' in html
        assert message in html.replace("&#x27;", "'"), (data, html)
    # without htmx the form is a page of its own
    page = client.post(url, {"name": "", "query": "search=a"})
    assert page.status_code == 422 and "<html" in page.content.decode()
    assert 'name="query" value="search=a"' in page.content.decode()
    # a rep is not offered sharing, and a crafted request does not share
    assert 'name="shared"' not in _list(client).content.decode()
    client.post(url, {"name": "Sneaky", "query": "", "shared": "on"})
    assert SavedView.objects.get(name="Sneaky").shared is False
    assert [v for v in SavedView.objects.values() if v["name"] != "Sneaky"] == before


def test_the_save_page_without_script(web, web_client_for):
    response = web_client_for(web.rep).get(
        reverse("contacts:company_view_save"), {"search": "tea", "cursor": "x"}
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'name="query" value="search=tea"' in html
    assert 'action="/companies/views/save/"' in html


# ---------------------------------------------------------------- updating, renaming, sharing, deleting


def test_update_a_view_with_the_current_filters(web, web_client_for):
    client = web_client_for(web.manager)
    html = _list(client, view=web.shared.pk, ordering="name").content.decode()
    assert 'id="pv-view-update"' in html
    query = re.search(r'name="query" value="([^"]*)"', html).group(1).replace("&amp;", "&")
    url = reverse("contacts:contact_view_filters", args=[web.shared.pk])
    response = client.post(url, {"query": query, "version": web.shared.version})
    assert response.status_code == 302 and response["Location"] == f"/contacts/?view={web.shared.pk}"
    web.shared.refresh_from_db()
    assert web.shared.query == f"columns=email&ordering=name&tag={web.vip.pk}" and web.shared.version == 2
    assert 'id="pv-view-changed"' not in client.get(response["Location"]).content.decode()
    # a stale version (someone updated it meanwhile) is refused with a message, nothing changes
    stale = client.post(
        url, {"query": "ordering=-name", "version": 1, "next": "/contacts/?tag=1"}, follow=True
    )
    assert "changed by someone else" in stale.content.decode()
    web.shared.refresh_from_db()
    assert web.shared.version == 2


def test_a_member_without_permission_cannot_update_a_shared_view(web, web_client_for):
    client = web_client_for(web.rep)
    html = _list(client, view=web.shared.pk, ordering="name").content.decode()
    assert 'id="pv-view-changed"' in html and 'id="pv-view-update"' not in html
    assert 'id="pv-view-edit"' not in html
    before = SavedView.objects.get(pk=web.shared.pk)
    url = reverse("contacts:contact_view_filters", args=[web.shared.pk])
    assert client.post(url, {"query": "ordering=name"}).status_code == 403
    assert client.get(reverse("contacts:contact_view_edit", args=[web.shared.pk])).status_code == 403
    edit = reverse("contacts:contact_view_edit", args=[web.shared.pk])
    assert client.post(edit, {"name": "Mine now", "shared": ""}).status_code == 403
    delete = reverse("contacts:contact_view_delete", args=[web.shared.pk])
    assert client.post(delete).status_code == 403
    after = SavedView.objects.get(pk=web.shared.pk)
    assert (after.query, after.name, after.shared, after.version) == (
        before.query,
        before.name,
        True,
        before.version,
    )
    # another member's private view does not exist for anyone else
    for member in (web.manager, web.owner, web.teammate):
        other = web_client_for(member)
        for name in ("contact_view_edit", "contact_view_filters", "contact_view_delete"):
            response = (other.get if name == "contact_view_edit" else other.post)(
                reverse(f"contacts:{name}", args=[web.private.pk])
            )
            assert response.status_code == 404, (member, name)
    assert SavedView.objects.filter(pk=web.private.pk).exists()


def test_rename_share_unshare_and_delete(web, web_client_for):
    client = web_client_for(web.manager)
    mine = saved_views.saved_view_create(actor=web.manager, entity="contact", name="Mine", query="")
    edit = reverse("contacts:contact_view_edit", args=[mine.pk])
    page = client.get(edit).content.decode()
    assert 'name="name" value="Mine"' in page and 'name="shared"' in page and 'id="pv-view-delete"' in page
    # a taken name is refused on the form
    taken = client.post(edit, {"name": "VIPs", "shared": "", "expected_version": 1})
    assert taken.status_code == 422 and "There is a view with this name already." in taken.content.decode()
    saved = client.post(edit, {"name": "Renamed", "shared": "on", "expected_version": 1})
    assert saved.status_code == 302 and saved["Location"] == reverse("contacts:contact_views")
    mine.refresh_from_db()
    assert (mine.name, mine.shared) == ("Renamed", True)
    assert "Renamed" in _list(web_client_for(web.rep)).content.decode()
    stale = client.post(edit, {"name": "Late", "shared": "on", "expected_version": 1})
    assert stale.status_code == 422 and "changed by someone else" in stale.content.decode()
    client.post(edit, {"name": "Renamed", "expected_version": 2})  # unchecked: no longer shared
    mine.refresh_from_db()
    assert mine.shared is False
    delete = reverse("contacts:contact_view_delete", args=[mine.pk])
    assert client.get(delete).status_code == 405
    page = client.get(edit).content.decode()
    assert "data-confirm=" in page[page.index(f'action="{delete}"') - 200 :]
    response = client.post(delete, follow=True)
    assert not SavedView.objects.filter(pk=mine.pk).exists()
    assert "View “Renamed” deleted." in response.content.decode()


def test_a_rep_renames_and_deletes_own_views_but_is_not_offered_sharing(web, web_client_for):
    client = web_client_for(web.rep)
    edit = reverse("contacts:contact_view_edit", args=[web.private.pk])
    page = client.get(edit).content.decode()
    assert 'name="shared"' not in page
    assert client.post(edit, {"name": "Plain", "shared": "on"}).status_code == 302
    web.private.refresh_from_db()
    assert (web.private.name, web.private.shared) == ("Plain", False)
    assert client.post(reverse("contacts:contact_view_delete", args=[web.private.pk])).status_code == 302
    assert not SavedView.objects.filter(pk=web.private.pk).exists()


def test_a_manager_unshares_someone_elses_view(web, web_client_for):
    view = saved_views.saved_view_create(
        actor=web.owner, entity="contact", name="Owner's", query="", shared=True
    )
    client = web_client_for(web.manager)
    edit = reverse("contacts:contact_view_edit", args=[view.pk])
    assert client.post(edit, {"name": "Owner's", "expected_version": 1}).status_code == 302
    view.refresh_from_db()
    assert view.shared is False and view.owner == web.owner
    assert _list(client, view=view.pk).status_code == 404  # private again: the manager no longer sees it


def test_the_manage_screen(web, web_client_for):
    rep = web_client_for(web.rep)
    html = rep.get(reverse("contacts:contact_views")).content.decode()
    mine = html[html.index('id="pv-views-mine"') : html.index('id="pv-views-shared"')]
    shared = html[html.index('id="pv-views-shared"') :]
    assert "Plain ones" in mine and "Private" in mine
    assert reverse("contacts:contact_view_edit", args=[web.private.pk]) in mine
    assert "VIPs" in shared and web.manager.user.full_name in shared
    assert reverse("contacts:contact_view_edit", args=[web.shared.pk]) not in shared  # nothing the rep may do
    manager = web_client_for(web.manager).get(reverse("contacts:contact_views")).content.decode()
    assert reverse("contacts:contact_view_delete", args=[web.shared.pk]) in manager
    assert "Plain ones" not in manager
    assert web_client_for(web.rep).get(reverse("contacts:company_views")).status_code == 200


def test_screens_need_the_view_permission_on_the_list(web, web_client_for):
    role = web.read_only.role
    permissions = {**role.permissions, "company": {}}
    account_services.role_update(actor=web.owner, role=role, changes={"permissions": permissions})
    client = web_client_for(web.read_only)
    assert client.get(reverse("contacts:company_views")).status_code == 403
    assert client.post(reverse("contacts:company_view_save"), {"name": "X", "query": ""}).status_code == 403
    assert not SavedView.objects.filter(name="X").exists()
    assert client.get(reverse("contacts:contact_views")).status_code == 200


# ---------------------------------------------------------------- the company list, and cost


def test_the_company_list_opens_its_views(web, web_client_for):
    make_company(web.owner, "Alpha Tea")
    make_company(web.owner, "Beta Coffee")
    view = saved_views.saved_view_create(actor=web.rep, entity="company", name="Tea", query="search=tea")
    client = web_client_for(web.rep)
    response = client.get(reverse("contacts:company_list"), {"view": view.pk})
    assert _rows(response) == ["Alpha Tea"]
    assert 'id="pv-view-name"' in response.content.decode()
    saved = client.post(reverse("contacts:company_view_save"), {"name": "Coffee", "query": "search=coffee"})
    created = SavedView.objects.get(name="Coffee")
    assert saved["Location"] == f"/companies/?view={created.pk}" and created.entity == "company"


def test_list_query_count_does_not_grow_with_views(web, web_client_for):
    client = web_client_for(web.rep)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert _list(client, view=web.shared.pk).status_code == 200
        return len(queries)

    count()
    small = count()
    for i in range(15):
        saved_views.saved_view_create(actor=web.rep, entity="contact", name=f"Mine {i}", query="")
        saved_views.saved_view_create(
            actor=web.manager, entity="contact", name=f"Team {i}", query="", shared=True
        )
    assert count() == small


def test_a_view_filtering_by_a_hidden_field_shows_the_problem(web, web_client_for):
    account_services.role_update(
        actor=web.owner, role=web.rep.role, changes={"field_rules": {"contact": {"tags": "hidden"}}}
    )
    response = _list(web_client_for(web.rep), view=web.shared.pk)
    html = response.content.decode()
    assert response.status_code == 422 and "You may not filter by this field." in html
    assert _rows(response) == [] and 'id="pv-view-name"' in html


@pytest.mark.parametrize(
    "url",
    [
        "/contacts/?view=²",
        "/contacts/count/?view=٣",
        "/contacts/export/?view=²&format=csv",
        "/companies/?view=¹",
    ],
)
def test_a_view_id_in_other_digits_is_not_a_server_error(web, web_client_for, url):
    """'²'.isdigit() is true but int('²') fails; Persian and Arabic-Indic digits are read as digits."""
    response = web_client_for(web.owner).get(url)
    assert response.status_code < 500, (url, response.status_code)


def test_views_of_records_the_member_may_not_list_are_not_theirs_to_see(web, web_client_for):
    """A shared contact view tells what someone looks for among contacts: not for a role without them."""
    role = web.read_only.role
    role.permissions = {**role.permissions, "contact": {}}
    role.save()
    web.read_only.refresh_from_db()
    assert not saved_views.views_visible_to(web.read_only, "contact").exists()
    assert saved_views.views_visible_to(web.manager, "contact").exists()
