"""Saved views: private or shared filters that resolve with the viewer's permissions."""

from __future__ import annotations

import pytest
from django.http import QueryDict

from peyvand.contacts import saved_views
from peyvand.contacts.tests.factories import make_contact
from peyvand.core.errors import NotFoundError, PermissionDeniedError, ValidationFailedError

pytestmark = pytest.mark.django_db


def test_private_view_is_its_owners_shared_view_everyones(world):
    private = saved_views.saved_view_create(
        actor=world.rep, entity="contact", name="Mine", query="search=ali"
    )
    shared = saved_views.saved_view_create(
        actor=world.manager,
        entity="contact",
        name="Team",
        query="search=x&cursor=abc&ordering=-name",
        shared=True,
    )
    assert shared.query == "ordering=-name&search=x"
    assert set(saved_views.views_visible_to(world.teammate)) == {shared}
    assert set(saved_views.views_visible_to(world.rep)) == {private, shared}
    with pytest.raises(NotFoundError):
        saved_views.access_view(member=world.teammate, view_id=private.pk)
    with pytest.raises(PermissionDeniedError):
        saved_views.access_view(member=world.teammate, view_id=shared.pk, action="change")
    assert saved_views.access_view(member=world.owner, view_id=shared.pk, action="change") == shared


def test_view_query_is_validated(world):
    with pytest.raises(ValidationFailedError):
        saved_views.saved_view_create(actor=world.rep, entity="contact", name="Bad", query="ordering=nope")
    with pytest.raises(ValidationFailedError):
        saved_views.saved_view_create(actor=world.rep, entity="contact", name=" ", query="")


def test_shared_view_resolves_with_the_viewers_scope(world):
    role = world.rep.role
    role.permissions = {**role.permissions, "contact": {**role.permissions["contact"], "view": "own"}}
    role.save()
    world.rep.refresh_from_db()
    theirs = make_contact(world.owner, "Ali", "One")
    mine = make_contact(world.manager, "Ali", "Two", owner=world.rep)
    view = saved_views.saved_view_create(
        actor=world.owner, entity="contact", name="Alis", query="search=ali", shared=True
    )
    assert set(saved_views.saved_view_records(world.owner, view)) == {theirs, mine}
    assert set(saved_views.saved_view_records(world.rep, view)) == {mine}


# ---------------------------------------------------------------- names, sharing and who may change what


def test_names_are_unique_per_owner_and_record_type(world):
    saved_views.saved_view_create(actor=world.manager, entity="contact", name="Hot leads", query="")
    with pytest.raises(ValidationFailedError) as refused:
        saved_views.saved_view_create(actor=world.manager, entity="contact", name="  Hot   leads ", query="")
    assert list(refused.value.fields) == ["name"]
    # the same name is fine for another owner and for the other record type
    saved_views.saved_view_create(actor=world.rep, entity="contact", name="Hot leads", query="")
    other = saved_views.saved_view_create(actor=world.manager, entity="company", name="Hot leads", query="")
    # renaming onto a taken name is refused on the name, and changes nothing
    mine = saved_views.saved_view_create(actor=world.manager, entity="company", name="Cold", query="")
    with pytest.raises(ValidationFailedError) as refused:
        saved_views.saved_view_update(actor=world.manager, view=mine, changes={"name": other.name})
    assert list(refused.value.fields) == ["name"]
    mine.refresh_from_db()
    assert (mine.name, mine.version) == ("Cold", 1)
    with pytest.raises(ValidationFailedError):
        saved_views.saved_view_create(actor=world.manager, entity="contact", name="x" * 101, query="")


def test_sharing_needs_the_share_permission(world):
    # reps have no grant on saved views: private views only
    with pytest.raises(PermissionDeniedError) as refused:
        saved_views.saved_view_create(actor=world.rep, entity="contact", name="Team", query="", shared=True)
    assert "shared" in refused.value.fields
    private = saved_views.saved_view_create(actor=world.rep, entity="contact", name="Mine", query="")
    with pytest.raises(PermissionDeniedError):
        saved_views.saved_view_update(actor=world.rep, view=private, changes={"shared": True})
    private.refresh_from_db()
    assert private.shared is False
    assert saved_views.may_share(world.manager) and not saved_views.may_share(world.rep)
    shared = saved_views.saved_view_create(
        actor=world.manager, entity="contact", name="Team", query="", shared=True
    )
    assert shared.shared and shared.owner == world.manager


def test_an_owner_whose_role_may_no_longer_share_may_only_unshare_or_delete(world):
    view = saved_views.saved_view_create(
        actor=world.manager, entity="contact", name="Team", query="search=a", shared=True
    )
    role = world.manager.role
    role.permissions = {**role.permissions, "saved_view": {}}
    role.save()
    world.manager.refresh_from_db()
    allowed = saved_views.view_permissions(world.manager, view)
    assert (allowed.change, allowed.share, allowed.unshare, allowed.delete) == (False, False, True, True)
    with pytest.raises(PermissionDeniedError):
        saved_views.saved_view_update(actor=world.manager, view=view, changes={"query": "search=b"})
    saved_views.saved_view_update(actor=world.manager, view=view, changes={"shared": False, "name": "Mine"})
    view.refresh_from_db()
    assert (view.shared, view.name, view.query) == (False, "Mine", "search=a")


def test_a_manager_changes_and_deletes_others_shared_views_a_rep_cannot(world):
    shared = saved_views.saved_view_create(
        actor=world.owner, entity="contact", name="Everyone", query="", shared=True
    )
    for action in ("change", "delete"):
        with pytest.raises(PermissionDeniedError):
            saved_views.access_view(member=world.rep, view_id=shared.pk, action=action)
    with pytest.raises(PermissionDeniedError):
        saved_views.saved_view_update(actor=world.rep, view=shared, changes={"name": "Mine now"})
    with pytest.raises(PermissionDeniedError):
        saved_views.saved_view_delete(actor=world.rep, view=shared)
    assert saved_views.view_permissions(world.rep, shared) == saved_views.ViewPermissions(
        change=False, share=False, unshare=False, delete=False
    )
    view = saved_views.access_view(member=world.manager, view_id=shared.pk, action="change")
    saved_views.saved_view_update(actor=world.manager, view=view, changes={"query": "ordering=-name"})
    shared.refresh_from_db()
    assert (shared.query, shared.owner, shared.version) == ("ordering=-name", world.owner, 2)
    saved_views.saved_view_delete(actor=world.manager, view=shared)
    assert not saved_views.views_visible_to(world.owner).exists()


def test_a_private_view_is_nobody_elses_even_an_owners(world):
    private = saved_views.saved_view_create(actor=world.rep, entity="contact", name="Mine", query="")
    for member in (world.owner, world.admin, world.manager, world.teammate, world.other_owner):
        with pytest.raises(NotFoundError):
            saved_views.access_view(member=member, view_id=private.pk)
    for view_id in (-1, 0, 2**63, 2**64):
        with pytest.raises(NotFoundError):
            saved_views.access_view(member=world.rep, view_id=view_id)


def test_a_view_needs_the_view_permission_on_its_record_type(world):
    role = world.read_only.role
    role.permissions = {**role.permissions, "company": {}}
    role.save()
    world.read_only.refresh_from_db()
    with pytest.raises(PermissionDeniedError):
        saved_views.saved_view_create(actor=world.read_only, entity="company", name="Firms", query="")
    assert saved_views.saved_view_create(actor=world.read_only, entity="contact", name="People", query="")
    with pytest.raises(ValidationFailedError):
        saved_views.saved_view_create(actor=world.read_only, entity="deal", name="Deals", query="")


def test_writes_are_audited_and_emit_events(world):
    from peyvand.core.events import OutboxEvent
    from peyvand.core.models import AuditEntry

    view = saved_views.saved_view_create(actor=world.rep, entity="contact", name="Mine", query="search=a")
    saved_views.saved_view_update(actor=world.rep, view=view, changes={"name": "Ours"})
    saved_views.saved_view_update(actor=world.rep, view=view, changes={"name": "Ours"})  # no change: no entry
    view_id = view.pk
    saved_views.saved_view_delete(actor=world.rep, view=view)
    entries = AuditEntry.objects.filter(entity="saved_view", record_id=str(view_id)).order_by("pk")
    assert [e.action for e in entries] == ["create", "update", "delete"]
    assert entries[1].changes["name"] == ["Mine", "Ours"]
    names = (
        OutboxEvent.objects.filter(name__startswith="saved_view.")
        .order_by("pk")
        .values_list("name", flat=True)
    )
    assert list(names) == ["saved_view.created", "saved_view.updated", "saved_view.deleted"]


def test_a_stale_version_is_refused(world):
    from peyvand.core.errors import ConflictError, PreconditionFailedError

    view = saved_views.saved_view_create(actor=world.rep, entity="contact", name="Mine", query="")
    with pytest.raises(ConflictError):
        saved_views.saved_view_update(actor=world.rep, view=view, changes={"name": "A"}, expected_version=5)
    with pytest.raises(PreconditionFailedError):
        saved_views.saved_view_update(
            actor=world.rep, view=view, changes={"name": "A"}, expected_version=5, precondition=True
        )
    saved_views.saved_view_update(actor=world.rep, view=view, changes={"name": "A"}, expected_version=1)
    assert view.version == 2


# ---------------------------------------------------------------- queries: what is kept, how parameters override


def test_clean_query_keeps_filters_order_and_columns_only(world):
    query = (
        "?view=3&before=abc&cursor=x&limit=5&format=csv&columns=email,phone&tag=2&tag=&ordering=-created_at"
    )
    assert saved_views.clean_query(query, "contact") == "columns=email%2Cphone&ordering=-created_at&tag=2"
    with pytest.raises(ValidationFailedError) as refused:
        saved_views.clean_query("created_from=yesterday", "contact")
    assert "created_from" in refused.value.fields
    with pytest.raises(ValidationFailedError) as refused:
        saved_views.clean_query(
            "search=" + "a" * 200 + "&" + "&".join(f"tag={i}" for i in range(900)), "contact"
        )
    assert "query" in refused.value.fields


def test_parameters_override_the_view_key_by_key(world):
    view = saved_views.saved_view_create(
        actor=world.rep, entity="contact", name="Mine", query="tag=1&tag=2&ordering=-name&search=ali"
    )
    merged, found = saved_views.view_query(
        world.rep, "contact", QueryDict(f"view={view.pk}&tag=3&search=&cursor=abc&owner=me")
    )
    assert found == view
    assert merged.getlist("tag") == ["3"]  # all of the view's values of a name are replaced
    assert "search" not in merged  # an empty value clears the view's filter
    assert merged["ordering"] == "-name"  # the rest of the view stays
    assert (merged["cursor"], merged["owner"]) == ("abc", "me")  # paging and new filters pass through
    # a form sends `tag=` before the tags chosen: the empty one is dropped
    merged, _view = saved_views.view_query(world.rep, "contact", QueryDict(f"view={view.pk}&tag=&tag=4"))
    assert merged.getlist("tag") == ["4"]
    # Persian digits in the id, and no view at all
    persian = str(view.pk).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert saved_views.view_query(world.rep, "contact", QueryDict(f"view={persian}"))[1] == view
    plain = QueryDict("tag=1")
    assert saved_views.view_query(world.rep, "contact", plain) == (plain, None)


def test_a_view_query_refuses_unknown_and_mismatched_views(world):
    view = saved_views.saved_view_create(actor=world.rep, entity="company", name="Firms", query="")
    for raw in ("abc", "999999", "-1", str(2**70)):
        with pytest.raises(NotFoundError):
            saved_views.view_query(world.rep, "company", QueryDict(f"view={raw}"))
    with pytest.raises(NotFoundError):
        saved_views.view_query(world.teammate, "company", QueryDict(f"view={view.pk}"))
    with pytest.raises(ValidationFailedError) as refused:
        saved_views.view_query(world.rep, "contact", QueryDict(f"view={view.pk}"))
    assert "view" in refused.value.fields


def test_a_view_is_modified_when_the_list_selects_something_else(world):
    view = saved_views.saved_view_create(
        actor=world.rep, entity="contact", name="Mine", query="tag=1&ordering=-name"
    )
    same, _view = saved_views.view_query(
        world.rep, "contact", QueryDict(f"view={view.pk}&cursor=x&tag=&tag=1")
    )
    assert not saved_views.view_is_modified(view, same)
    for extra in ("tag=2", "ordering=name", "columns=email", "search=x", "tag="):
        merged, _view = saved_views.view_query(world.rep, "contact", QueryDict(f"view={view.pk}&{extra}"))
        assert saved_views.view_is_modified(view, merged), extra
    assert saved_views.view_is_modified(view, QueryDict("ordering=nope"))


def test_a_managers_shared_view_shows_a_rep_only_their_own_records(world):
    """A rep whose role sees only their own contacts opens the manager's shared view: same filter, only the
    rep's records — the view shares a filter, never records."""
    role = world.rep.role
    role.permissions = {**role.permissions, "contact": {**role.permissions["contact"], "view": "own"}}
    role.save()
    world.rep.refresh_from_db()
    mine = make_contact(world.manager, "Vip", "Mine", owner=world.rep, tags=["VIP"])
    theirs = make_contact(world.manager, "Vip", "Theirs", owner=world.teammate, tags=["VIP"])
    make_contact(world.manager, "Plain", "Mine", owner=world.rep)
    from peyvand.core.models import Tag

    vip = Tag.objects.get(workspace=world.workspace, name="VIP")
    view = saved_views.saved_view_create(
        actor=world.manager, entity="contact", name="VIPs", query=f"tag={vip.pk}", shared=True
    )
    assert set(saved_views.saved_view_records(world.manager, view)) == {mine, theirs}
    assert set(saved_views.saved_view_records(world.rep, view)) == {mine}
