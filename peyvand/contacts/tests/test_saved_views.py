"""Saved views: private or shared filters that resolve with the viewer's permissions."""

from __future__ import annotations

import pytest

from peyvand.contacts import saved_views
from peyvand.contacts.tests.factories import make_contact
from peyvand.core.errors import NotFoundError, PermissionDeniedError, ValidationFailedError

pytestmark = pytest.mark.django_db


def test_private_view_is_its_owners_shared_view_everyones(world):
    private = saved_views.saved_view_create(
        actor=world.rep, entity="contact", name="Mine", query="search=ali"
    )
    shared = saved_views.saved_view_create(
        actor=world.rep,
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
    assert saved_views.access_view(member=world.manager, view_id=shared.pk, action="change") == shared


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
