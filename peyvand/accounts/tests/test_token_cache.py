"""The bearer-token cache never serves stale access: every change that matters shows on the next request."""

from __future__ import annotations

from peyvand.accounts import services, token_cache
from peyvand.accounts.models import Membership, User
from peyvand.core import recycle


def test_cached_objects_follow_every_relevant_change(world, api_client_for):
    client = api_client_for(world.rep)
    assert client.get("/api/v1/me").json()["member"]["team_ids"] == [world.north.pk]
    recycle.soft_delete(actor=world.owner, record=world.north)  # no membership version change
    assert client.get("/api/v1/me").json()["member"]["team_ids"] == []
    User.objects.filter(pk=world.rep.user_id).update(full_name="Renamed Rep")
    assert client.get("/api/v1/me").json()["user"]["full_name"] == "Renamed Rep"
    services.workspace_update(actor=world.owner, workspace=world.workspace, changes={"name": "Acme 2"})
    assert client.get("/api/v1/me").json()["workspace"]["name"] == "Acme 2"
    services.role_update(actor=world.owner, role=world.rep.role, changes={"permissions": {}})
    assert client.get("/api/v1/me").json()["permissions"] == {}
    assert (
        client.get("/api/v1/members").status_code == 200
        and client.get("/api/v1/members").json()["items"] == []
    )
    User.objects.filter(pk=world.rep.user_id).update(is_active=False)
    assert client.get("/api/v1/me").status_code == 401


def test_requests_get_private_copies(world):
    _token, raw = services.token_create(actor=world.rep, name="copy")
    first = services.token_authenticate(raw)
    first.language = "th"
    first.role.permissions = {}
    second = services.token_authenticate(raw)
    assert second.language == "" and second.role.permissions
    assert second is not first and second.workspace is not first.workspace
    assert Membership.objects.get(pk=world.rep.pk).language == ""


def test_unknown_hash_is_forgotten(world):
    token, raw = services.token_create(actor=world.rep, name="gone")
    assert services.token_authenticate(raw) is not None
    token.delete()
    assert services.token_authenticate(raw) is None
    token_cache.clear()
