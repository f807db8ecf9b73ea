"""The web screens: who may open and post what, and the account flows around them."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from peyvand.accounts import services
from peyvand.accounts.middleware import SESSION_WORKSPACE_KEY
from peyvand.accounts.models import ApiToken, Membership, Role, Team, Workspace
from peyvand.accounts.tests.factories import PASSWORD, make_member
from peyvand.core import recycle
from peyvand.core.models import AuditEntry

SCREENS = [
    "home",
    "accounts:workspace_settings",
    "accounts:members",
    "accounts:teams",
    "accounts:roles",
    "accounts:tokens",
    "accounts:audit_log",
    "accounts:recycle_bin",
    "accounts:password_change",
    "accounts:workspace_new",
]

# who → screens that answer 200 (all others: 403). Managers and reps may delete (their own) contacts and
# notes, so they open the recycle bin too.
ALLOWED = {
    "owner": set(SCREENS),
    "admin": set(SCREENS),
    "manager": set(SCREENS),
    "rep": set(SCREENS) - {"accounts:roles", "accounts:audit_log"},
    "read_only": set(SCREENS) - {"accounts:roles", "accounts:audit_log", "accounts:recycle_bin"},
}


@pytest.mark.parametrize("who", list(ALLOWED))
def test_screen_matrix(world, web_client_for, who, django_assert_max_num_queries):
    client = web_client_for(getattr(world, who))
    for name in SCREENS:
        with django_assert_max_num_queries(25):
            response = client.get(reverse(name))
        expected = 200 if name in ALLOWED[who] else 403
        assert response.status_code == expected, (who, name, response.status_code)


@pytest.mark.parametrize("name", SCREENS)
def test_anonymous_is_sent_to_login(db, name):
    response = Client().get(reverse(name))
    assert response.status_code == 302 and response.headers["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    ("who", "status"), [("owner", 302), ("admin", 302), ("manager", 403), ("rep", 403), ("read_only", 403)]
)
def test_workspace_rename_by_role(world, web_client_for, who, status):
    response = web_client_for(getattr(world, who)).post(
        reverse("accounts:workspace_settings"),
        {
            "name": "Renamed",
            "default_currency": "IRR",
            "language": "fa",
            "calendar": "jalali",
            "time_zone": "Asia/Tehran",
            "week_start": 5,
            "expected_version": 1,
        },
    )
    assert response.status_code == status
    world.workspace.refresh_from_db()
    assert (world.workspace.name == "Renamed") is (status == 302)
    assert AuditEntry.objects.filter(entity="workspace", action="update").exists() is (status == 302)


def test_stale_workspace_form_shows_conflict(world, web_client_for):
    services.workspace_update(actor=world.admin, workspace=world.workspace, changes={"name": "First"})
    response = web_client_for(world.owner).post(
        reverse("accounts:workspace_settings"),
        {
            "name": "Second",
            "default_currency": "USD",
            "language": "en",
            "calendar": "gregorian",
            "time_zone": "UTC",
            "week_start": 0,
            "expected_version": 1,
        },
    )
    assert response.status_code == 422
    assert "changed by someone else" in response.content.decode()
    world.workspace.refresh_from_db()
    assert world.workspace.name == "First"


@pytest.mark.parametrize(
    ("who", "member_attr", "status"),
    [
        ("owner", "rep", 302),
        ("admin", "rep", 302),
        ("rep", "teammate", 403),
        ("read_only", "rep", 403),
        ("owner", "other_owner", 404),
    ],
)
def test_deactivate_by_role(world, web_client_for, who, member_attr, status):
    target = getattr(world, member_attr)
    response = web_client_for(getattr(world, who)).post(
        reverse("accounts:member_deactivate", args=[target.pk])
    )
    assert response.status_code == status
    assert Membership.objects.get(pk=target.pk).is_active is (status != 302)


def test_deactivated_member_session_ends_on_next_request(world, web_client_for):
    client = web_client_for(world.rep)
    assert client.get(reverse("home")).status_code == 200
    services.member_deactivate(actor=world.owner, member=world.rep)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.headers["Location"] == reverse("accounts:login")
    assert client.get(reverse("accounts:members")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_deactivated_in_one_workspace_keeps_the_other(world, web_client_for):
    second = make_member(world.other_workspace, "sales_rep", user=world.rep.user)
    client = web_client_for(world.rep)
    services.member_deactivate(actor=world.owner, member=world.rep)
    response = client.get(reverse("home"), follow=True)
    assert response.status_code == 200
    assert client.session[SESSION_WORKSPACE_KEY] == second.workspace_id


def test_login_rotates_session_and_remembers_workspace(world):
    client = Client()
    client.get(reverse("accounts:login"))
    client.cookies["sessionid"] = "attacker-chosen"
    response = client.post(
        reverse("accounts:login"), {"email": world.rep.user.email.upper(), "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.cookies["sessionid"].value != "attacker-chosen"
    assert client.session[SESSION_WORKSPACE_KEY] == world.workspace.pk
    assert AuditEntry.objects.filter(action="login", actor=world.rep).count() == 1


def test_login_throttled_after_failures(world, settings):
    settings.PEYVAND_LOGIN_MAX_FAILURES = 3
    client = Client()
    for _ in range(2):
        response = client.post(
            reverse("accounts:login"), {"email": world.rep.user.email, "password": "wrong"}
        )
        assert response.status_code == 200 and "not correct" in response.content.decode()
    response = client.post(reverse("accounts:login"), {"email": world.rep.user.email, "password": "wrong"})
    assert response.status_code == 429 and "Too many failed sign-in attempts" in response.content.decode()
    response = client.post(reverse("accounts:login"), {"email": world.rep.user.email, "password": PASSWORD})
    assert response.status_code == 429 and "_auth_user_id" not in client.session


def test_login_refuses_safe_but_foreign_redirects(world):
    response = Client().post(
        reverse("accounts:login"),
        {"email": world.rep.user.email, "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.headers["Location"] == reverse("home")


def test_logout_requires_post(world, web_client_for):
    client = web_client_for(world.rep)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_language_is_remembered_per_member(world, web_client_for):
    client = web_client_for(world.rep)
    client.post(reverse("accounts:set_language"), {"language": "fa", "next": "/"})
    assert Membership.objects.get(pk=world.rep.pk).language == "fa"
    html = web_client_for(world.rep).get(reverse("home")).content.decode()
    assert 'lang="fa"' in html and 'dir="rtl"' in html and "bootstrap.rtl.min.css" in html
    assert Membership.objects.get(pk=world.teammate.pk).language == ""
    teammate_html = web_client_for(world.teammate).get(reverse("home")).content.decode()
    assert 'dir="ltr"' in teammate_html


def test_persian_shows_jalali_and_thai_buddhist(world, web_client_for):
    services.member_set_language(member=world.rep, language="fa")
    services.member_set_language(member=world.teammate, language="th")
    fa_html = web_client_for(world.rep).get(reverse("home")).content.decode()
    th_html = web_client_for(world.teammate).get(reverse("home")).content.decode()
    assert "۱۴۰" in fa_html  # a Jalali year (14xx) in Persian digits
    assert "25" in th_html and "พ.ศ." in th_html  # a Buddhist-era year


def test_workspace_switch(world, web_client_for):
    make_member(world.other_workspace, "read_only", user=world.rep.user)
    client = web_client_for(world.rep)
    response = client.post(reverse("accounts:workspace_switch"), {"workspace_id": world.other_workspace.pk})
    assert response.status_code == 302 and client.session[SESSION_WORKSPACE_KEY] == world.other_workspace.pk
    third = Workspace.objects.create(name="Not mine")
    client.post(reverse("accounts:workspace_switch"), {"workspace_id": third.pk})
    assert client.session[SESSION_WORKSPACE_KEY] == world.other_workspace.pk


def test_invite_and_accept_through_screens(world, web_client_for, django_capture_on_commit_callbacks):
    client = web_client_for(world.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:member_invite"),
            {"email": "newbie@example.com", "role": world.rep.role.pk, "teams": [world.north.pk]},
        )
    assert response.status_code == 302
    link = next(line for line in mail.outbox[-1].body.splitlines() if "/invites/" in line).strip()
    path = link[link.index("/invites/") :]
    guest = Client()
    assert guest.get(path).status_code == 200
    response = guest.post(path, {"full_name": "New Bie", "password": PASSWORD})
    assert response.status_code == 302
    member = Membership.objects.get(user__email="newbie@example.com")
    assert member.role == world.rep.role and list(member.teams.all()) == [world.north]
    assert guest.get(reverse("home")).status_code == 200
    assert Client().get(path).status_code == 410


def test_rep_cannot_invite(world, web_client_for):
    response = web_client_for(world.rep).post(
        reverse("accounts:member_invite"), {"email": "x@example.com", "role": world.rep.role.pk}
    )
    assert response.status_code == 403
    assert not mail.outbox


def test_role_editor_saves_matrix(world, web_client_for):
    role = Role.objects.get(workspace=world.workspace, key="sales_rep")
    client = web_client_for(world.admin)
    page = client.get(reverse("accounts:role_edit", args=[role.pk]))
    assert "share one&#x27;s own views" in page.content.decode()  # what "change" means for saved views
    form = page.context["form"]
    data = {name: field.initial or "" for name, field in form.fields.items()}
    data.update(
        {
            "name": "Sales rep",
            "description": "",
            "expected_version": role.version,
            "perm__team__create": "all",
            "field__member__email": "hidden",
        }
    )
    response = client.post(reverse("accounts:role_edit", args=[role.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    role.refresh_from_db()
    assert role.permissions["team"]["create"] == "all"
    assert role.field_rules == {"member": {"email": "hidden"}}
    rep_client = web_client_for(world.rep)
    assert rep_client.post(reverse("accounts:teams"), {"name": "Made by rep"}).status_code == 302
    assert Team.objects.filter(name="Made by rep").exists()
    html = rep_client.get(reverse("accounts:members")).content.decode()
    assert world.owner.user.email not in html


def test_owner_role_cannot_be_edited_in_ui(world, web_client_for):
    role = world.owner.role
    response = web_client_for(world.owner).post(reverse("accounts:role_edit", args=[role.pk]), {"name": "X"})
    assert response.status_code == 403
    role.refresh_from_db()
    assert role.name == "Owner"


def test_token_create_shows_once_and_revoke(world, web_client_for):
    client = web_client_for(world.rep)
    response = client.post(reverse("accounts:tokens"), {"name": "script", "expires_on": ""}, follow=True)
    token = ApiToken.objects.get(name="script")
    raw = response.context["new_token"]
    assert raw.startswith(token.prefix) and raw in response.content.decode()
    assert raw not in client.get(reverse("accounts:tokens")).content.decode()
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/me").status_code == 200
    client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert api.get("/api/v1/me").status_code == 401


def test_token_expiry_date_in_persian_calendar(world, web_client_for):
    services.member_set_language(member=world.rep, language="fa")
    client = web_client_for(world.rep)
    response = client.post(reverse("accounts:tokens"), {"name": "jalali", "expires_on": "۱۴۲۰/۰۱/۰۱"})
    assert response.status_code == 302
    assert ApiToken.objects.get(name="jalali").expires_at.date().isoformat() == "2041-03-20"
    bad = client.post(reverse("accounts:tokens"), {"name": "bad", "expires_on": "۱۴۰۵/۱۳/۰۱"})
    assert bad.status_code == 422 and not ApiToken.objects.filter(name="bad").exists()


def test_cannot_revoke_someone_elses_token(world, web_client_for):
    token, _raw = services.token_create(actor=world.teammate, name="theirs")
    response = web_client_for(world.rep).post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_audit_log_filters(world, web_client_for):
    services.workspace_update(actor=world.admin, workspace=world.workspace, changes={"name": "By admin"})
    client = web_client_for(world.owner)
    response = client.get(reverse("accounts:audit_log"), {"actor": world.admin.pk, "entity": "workspace"})
    items = response.context["page"].items
    assert [e.actor_id for e in items] == [world.admin.pk]
    response = client.get(reverse("accounts:audit_log"), {"since": "2999-01-01"})
    assert response.context["page"].items == []
    assert client.get(reverse("accounts:audit_log"), {"since": "not a date"}).status_code == 422


def test_record_history_respects_visibility(world, web_client_for):
    services.team_update(actor=world.owner, team=world.north, changes={"description": "Changed"})
    response = web_client_for(world.rep).get(reverse("accounts:history", args=["team", world.north.pk]))
    assert response.status_code == 200 and "Changed" in response.content.decode()
    foreign = services.team_create(actor=world.other_owner, name="Theirs")
    assert (
        web_client_for(world.rep).get(reverse("accounts:history", args=["team", foreign.pk])).status_code
        == 404
    )
    assert web_client_for(world.rep).get(reverse("accounts:history", args=["gizmo", 1])).status_code == 404


def test_recycle_bin_restore_and_purge(world, web_client_for):
    recycle.soft_delete(actor=world.owner, record=world.south)
    client = web_client_for(world.admin)
    assert "South" in client.get(reverse("accounts:recycle_bin")).content.decode()
    client.post(reverse("accounts:recycle_restore", args=["team", world.south.pk]))
    assert Team.objects.filter(pk=world.south.pk).exists()
    recycle.soft_delete(actor=world.owner, record=Team.objects.get(pk=world.south.pk))
    assert (
        web_client_for(world.rep)
        .post(reverse("accounts:recycle_purge", args=["team", world.south.pk]))
        .status_code
        == 404
    )
    client.post(reverse("accounts:recycle_purge", args=["team", world.south.pk]))
    assert not Team.all_objects.filter(pk=world.south.pk).exists()


def test_security_headers(world, web_client_for):
    response = web_client_for(world.rep).get(reverse("home"))
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "<script>" not in response.content.decode().replace("<script src=", "")


def test_password_reset_sends_mail(world):
    response = Client().post(reverse("accounts:password_reset"), {"email": world.rep.user.email})
    assert response.status_code == 302 and len(mail.outbox) == 1
    assert "/password/reset/" in mail.outbox[0].body


def test_password_change(world, web_client_for):
    client = web_client_for(world.rep)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another strong pass 9",
            "new_password2": "another strong pass 9",
        },
    )
    assert response.status_code == 302
    world.rep.user.refresh_from_db()
    assert world.rep.user.check_password("another strong pass 9")
    assert client.get(reverse("home")).status_code == 200  # the session survives its own change


def test_new_workspace_makes_owner(world, web_client_for):
    client = web_client_for(world.rep)
    response = client.post(
        reverse("accounts:workspace_new"),
        {"name": "Side project", "language": "th", "calendar": "buddhist", "default_currency": "THB"},
    )
    assert response.status_code == 302
    member = Membership.objects.get(user=world.rep.user, workspace__name="Side project")
    assert member.role.key == "owner" and client.session[SESSION_WORKSPACE_KEY] == member.workspace_id
