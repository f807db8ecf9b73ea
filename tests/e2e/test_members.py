"""Members and invites: invite, accept, deactivate (the session ends), search and filter."""

from __future__ import annotations

import re

import pytest
from e2e_helpers import assert_labelled
from playwright.sync_api import expect

from peyvand.accounts import services
from peyvand.accounts.models import Membership, Role
from peyvand.accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.e2e

INVITEE_PASSWORD = "nima's own long password"


def test_invite_accept_then_deactivate_ends_the_session(site, acme, mailoutbox):
    owner_page = site.open_page(acme.owner)
    owner_page.goto("/settings/members/")
    assert_labelled(owner_page)
    invite_form = owner_page.locator("#pv-invite-form")
    invite_form.locator("#id_email").fill("nima@example.com")
    invite_form.locator("#id_role").select_option(label="Sales rep")
    invite_form.get_by_label("North").check()
    invite_form.locator("button[type=submit]").click()
    expect(owner_page.locator(".alert-success").first).to_contain_text("Invitation sent to nima@example.com.")
    link = owner_page.locator("#pv-invite-link").inner_text().strip()
    expect(owner_page.locator("#pv-invites")).to_contain_text("nima@example.com")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["nima@example.com"]
    assert link in mailoutbox[0].body
    assert link.startswith(f"{site.url}/invites/")

    invitee = site.open_page()
    invitee.goto(link)
    expect(invitee.locator("h1")).to_have_text("Join Acme")
    expect(invitee.locator("main")).to_contain_text("nima@example.com, with the role Sales rep")
    assert_labelled(invitee)
    invitee.fill("#id_full_name", "Nima New")
    invitee.fill("#id_password", INVITEE_PASSWORD)
    invitee.get_by_role("button", name="Create account and join").click()
    expect(invitee.locator(".alert-success")).to_contain_text("Welcome to Acme!")
    expect(invitee.locator("h1")).to_have_text("Welcome to Acme")
    expect(invitee.locator("#pv-user-menu")).to_have_text("Nima New")
    newcomer = Membership.objects.select_related("role").get(user__email="nima@example.com")
    assert newcomer.role.key == "sales_rep"
    assert list(newcomer.teams.values_list("name", flat=True)) == ["North"]

    invitee.pv_watch.expect_status(410)
    invitee.goto(link)  # the link works once
    expect(invitee.locator("h1")).to_have_text("Invitation not valid")

    owner_page.goto("/settings/members/")
    expect(owner_page.locator("#pv-invites")).to_have_count(0)  # no longer pending
    row = owner_page.locator("#pv-members tbody tr", has_text="Nima New")
    expect(row).to_contain_text("nima@example.com")
    expect(row).to_contain_text("Sales rep")
    expect(row).to_contain_text("North")
    row.get_by_role("link", name="Nima New").click()
    expect(owner_page.locator("h1")).to_have_text("Nima New")
    assert_labelled(owner_page)
    owner_page.get_by_role("button", name="Deactivate").click()  # the confirm() is accepted
    expect(owner_page.locator(".alert-success")).to_contain_text("Nima New was deactivated.")
    expect(owner_page.locator("#pv-members tbody tr", has_text="Nima New")).to_have_count(0)  # active only
    owner_page.locator("#pv-status").select_option("inactive")
    owner_page.get_by_role("button", name="Filter").click()
    expect(owner_page.locator("#pv-members tbody tr", has_text="Nima New")).to_contain_text("Deactivated")

    # The invitee's very next request ends their session.
    invitee.goto("/settings/teams/")
    expect(invitee).to_have_url(re.compile(r"/login/"))
    expect(invitee.locator(".alert-warning")).to_contain_text("Your access has ended.")
    expect(invitee.locator("#pv-user-menu")).to_have_count(0)
    invitee.goto("/")
    expect(invitee).to_have_url(re.compile(r"/login/"))
    # Signing in again is refused too.
    invitee.goto("/login/")
    invitee.fill("#id_email", "nima@example.com")
    invitee.fill("#id_password", INVITEE_PASSWORD)
    invitee.locator("main form button[type=submit]").click()
    expect(invitee.locator(".alert-danger")).to_contain_text("no active workspace")


def test_invite_for_an_existing_account_and_revoking_an_invite(site, acme):
    """Someone with an account (here: no workspace at all) signs in from the invitation and joins."""
    UserFactory(full_name="Eli Elsewhere", email="eli@example.com")
    sales_rep = Role.objects.get(workspace=acme.workspace, key="sales_rep")
    _invite, raw = services.invite_create(actor=acme.owner, email="eli@example.com", role=sales_rep)
    services.invite_create(actor=acme.owner, email="later@example.com", role=sales_rep)

    page = site.open_page()
    page.goto(f"/invites/{raw}/")
    expect(page.locator("main")).to_contain_text("You already have a Peyvand account.")
    page.locator("main").get_by_role("link", name="Sign in").click()
    page.fill("#id_email", "eli@example.com")
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/invites/{re.escape(raw)}/$"))
    page.get_by_role("button", name="Accept and join").click()
    expect(page.locator("h1")).to_have_text("Welcome to Acme")
    expect(page.locator("#pv-user-menu")).to_have_text("Eli Elsewhere")

    owner_page = site.open_page(acme.owner)
    owner_page.goto("/settings/members/")
    expect(owner_page.locator("#pv-members tbody tr", has_text="Eli Elsewhere")).to_contain_text("Sales rep")
    pending = owner_page.locator("#pv-invites li", has_text="later@example.com")
    pending.get_by_role("button", name="Revoke").click()
    expect(owner_page.locator(".alert-success")).to_contain_text("Invitation to later@example.com revoked.")
    expect(owner_page.locator("#pv-invites li", has_text="later@example.com")).to_have_count(0)


def test_invalid_invite_link(site, acme):
    page = site.open_page()
    page.pv_watch.expect_status(410)
    page.goto("/invites/not-a-real-token/")
    expect(page.locator("h1")).to_have_text("Invitation not valid")


def test_members_search(site, acme):
    page = site.open_page(acme.admin)
    page.goto("/settings/members/")
    expect(page.locator("#pv-members tbody tr")).to_have_count(3)
    page.fill("#pv-q", "reza")
    page.keyboard.press("Enter")
    expect(page.locator("#pv-members tbody tr")).to_have_count(1)
    expect(page.locator("#pv-members tbody tr")).to_contain_text("Reza Rep")
    expect(page.locator("#pv-q")).to_have_value("reza")
