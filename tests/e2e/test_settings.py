"""Settings screens: workspace, teams and the recycle bin, roles, API tokens, the audit log, history."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone
from e2e_helpers import (
    assert_direction,
    assert_labelled,
    buddhist_short,
    jalali_short,
    page_today,
)
from playwright.sync_api import expect

from peyvand.accounts import services
from peyvand.accounts.models import ApiToken, Role, Workspace
from peyvand.core.models import AuditEntry

pytestmark = pytest.mark.e2e


def test_workspace_settings_rename_shows_everywhere_and_in_history(site, acme):
    page = site.open_page(acme.owner)
    page.goto("/")
    page.locator("#pv-nav").get_by_role("link", name="Settings").click()
    expect(page).to_have_url(re.compile(r"/settings/workspace/$"))
    assert_labelled(page)
    expect(page.locator("#id_name")).to_have_value("Acme")
    page.fill("#id_name", "Acme Trading")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("Workspace settings saved.")
    expect(page.locator("#id_name")).to_have_value("Acme Trading")
    expect(page.locator("#pv-workspace option:checked")).to_have_text("Acme Trading")
    assert Workspace.objects.get(pk=acme.workspace.pk).name == "Acme Trading"

    page.locator("main").get_by_role("link", name="History").click()
    expect(page.locator("h1")).to_contain_text("Acme Trading")
    latest = page.locator("#pv-history li").first
    expect(latest).to_contain_text("Changed")
    expect(latest.locator("del")).to_have_text("Acme")
    expect(latest.locator("ins")).to_have_text("Acme Trading")
    expect(latest).to_contain_text("Olivia Owner")  # the audit names people by name (e-mails may be hidden)

    page.goto("/")
    expect(page.locator("h1")).to_have_text("Welcome to Acme Trading")


def test_workspace_settings_refuses_a_bad_currency(site, acme):
    page = site.open_page(acme.owner)
    page.pv_watch.expect_status(422)
    page.goto("/settings/workspace/")
    page.fill("#id_default_currency", "XX")
    page.locator("main form button[type=submit]").click()
    field = page.locator("#id_default_currency")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_default_currency_error")).to_be_visible()
    assert Workspace.objects.get(pk=acme.workspace.pk).default_currency == "USD"


def test_sales_rep_sees_workspace_settings_read_only(site, acme):
    page = site.open_page(acme.rep)
    page.goto("/settings/workspace/")
    expect(page.locator("#id_name")).to_be_disabled()
    expect(page.locator("main form button[type=submit]")).to_have_count(0)
    # Only the screens a sales rep may open are in the settings menu.
    links = page.locator(".pv-sidebar a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert "/settings/roles/" not in hrefs and "/settings/audit/" not in hrefs, hrefs
    assert "/settings/members/" in hrefs, hrefs


def test_team_create_delete_and_restore_from_recycle_bin(site, acme):
    page = site.open_page(acme.owner)
    page.goto("/settings/teams/")
    assert_labelled(page)
    expect(page.locator("#pv-teams tbody tr")).to_have_count(1)
    page.fill("#id_name", "South")
    page.fill("#id_description", "Southern region")
    page.get_by_role("button", name="Create team").click()
    expect(page.locator(".alert-success")).to_contain_text("Team created.")
    south = page.locator("#pv-teams tbody tr", has_text="South")
    expect(south).to_contain_text("Southern region")

    south.get_by_role("link", name="South").click()
    expect(page.locator("h1")).to_have_text("South")
    assert_labelled(page)
    page.get_by_role("button", name="Delete").click()  # the confirm() is accepted
    expect(page.locator(".alert-success")).to_contain_text("“South” moved to the recycle bin.")
    expect(page.locator("#pv-teams tbody tr", has_text="South")).to_have_count(0)

    page.locator(".pv-sidebar").get_by_role("link", name="Recycle bin").click()
    row = page.locator("#pv-bin-team tr[data-bin-row='South']")
    expect(row).to_contain_text("Olivia Owner")
    row.get_by_role("button", name="Restore").click()
    expect(page.locator(".alert-success")).to_contain_text("“South” restored.")
    expect(page.locator("#pv-bin-team tr[data-bin-row='South']")).to_have_count(0)

    page.locator(".pv-sidebar").get_by_role("link", name="Teams").click()
    expect(page.locator("#pv-teams tbody tr", has_text="South")).to_contain_text("Southern region")


def test_roles_list_and_role_editor(site, acme):
    page = site.open_page(acme.owner)
    page.goto("/settings/roles/")
    rows = page.locator("#pv-roles tbody tr")
    expect(rows).to_have_count(6)
    expect(rows.first).to_contain_text("Owner")
    expect(rows.first.locator(".badge")).to_have_text("locked")

    # The Owner role is shown read-only.
    rows.first.get_by_role("link", name="Owner").click()
    expect(page.locator("#pv-role-form select").first).to_be_disabled()
    expect(page.get_by_role("button", name="Save role")).to_have_count(0)
    assert_labelled(page)

    page.goto("/settings/roles/")
    page.locator("#pv-roles").get_by_role("link", name="Sales rep").click()
    expect(page.locator("h1")).to_have_text("Sales rep")
    assert_labelled(page)
    create_teams = page.locator("#id_perm__team__create")
    expect(create_teams).to_have_value("none")
    create_teams.select_option("all")
    page.locator("#id_field__member__email").select_option("hidden")
    page.fill("#id_description", "Sells, and may start teams")
    page.get_by_role("button", name="Save role").click()
    expect(page.locator(".alert-success")).to_contain_text("Role “Sales rep” saved.")
    expect(page.locator("#pv-roles tbody tr", has_text="Sales rep")).to_contain_text(
        "Sells, and may start teams"
    )

    role = Role.objects.get(workspace=acme.workspace, key="sales_rep")
    assert role.permissions["team"]["create"] == "all"
    assert role.field_rules["member"]["email"] == "hidden"

    page.locator("#pv-roles").get_by_role("link", name="Sales rep").click()
    expect(page.locator("#id_perm__team__create")).to_have_value("all")
    expect(page.locator("#id_field__member__email")).to_have_value("hidden")
    page.locator("main").get_by_role("link", name="History").click()
    expect(page.locator("#pv-history li").first).to_contain_text("Changed")
    expect(page.locator("#pv-history li").first).to_contain_text("Sells, and may start teams")

    # The change takes effect for sales reps at once: e-mail addresses hidden, teams may be created.
    rep_page = site.open_page(acme.rep)
    rep_page.goto("/settings/members/")
    expect(rep_page.locator("#pv-members")).to_contain_text("Olivia Owner")
    expect(rep_page.locator("#pv-members")).not_to_contain_text("@example.com")
    rep_page.goto("/settings/teams/")
    expect(rep_page.get_by_role("button", name="Create team")).to_be_visible()


def test_new_role(site, acme):
    page = site.open_page(acme.owner)
    page.goto("/settings/roles/")
    page.get_by_role("link", name="New role").click()
    expect(page).to_have_url(re.compile(r"/settings/roles/new/$"))
    assert_labelled(page)
    page.fill("#id_name", "Auditor")
    page.locator("#id_perm__audit__view").select_option("all")
    page.get_by_role("button", name="Save role").click()
    expect(page.locator(".alert-success")).to_contain_text("Role “Auditor” saved.")
    expect(page.locator("#pv-roles tbody tr")).to_have_count(7)


def test_api_token_create_and_revoke(site, acme):
    page = site.open_page(acme.owner)
    page.goto("/")
    page.locator("#pv-user-menu").click()
    page.get_by_role("link", name="API tokens").click()
    expect(page).to_have_url(re.compile(r"/settings/tokens/$"))
    assert_labelled(page)
    expect(page.locator("#pv-tokens tbody")).to_contain_text("No tokens yet.")
    expires = timezone.localdate() + dt.timedelta(days=30)
    expires_input = page.locator("#id_expires_on")
    expect(expires_input).to_have_attribute("placeholder", re.compile(r"^\d{4}-\d{2}-\d{2}$"))
    page.fill("#id_name", "reporting script")
    expires_input.fill(expires.isoformat())  # the format the placeholder shows
    page.get_by_role("button", name="Create token").click()
    expect(page.locator(".alert-success").first).to_contain_text("Copy it now")
    raw = page.locator("#pv-new-token").inner_text().strip()
    row = page.locator("#pv-tokens tr[data-token='reporting script']")
    expect(row).to_contain_text("Active")
    expect(row).to_contain_text(expires.isoformat())
    expect(row).to_contain_text("Never")
    assert raw.startswith(row.locator("code").inner_text().rstrip("…"))

    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/me").status_code == 200

    page.reload()  # shown once only
    expect(page.locator("#pv-new-token")).to_have_count(0)
    row.get_by_role("button", name="Revoke").click()  # the confirm() is accepted
    expect(page.locator(".alert-success")).to_contain_text("Token “reporting script” revoked.")
    expect(page.locator("#pv-tokens tr[data-token='reporting script']")).to_contain_text("Revoked")
    expect(page.locator("#pv-tokens tr[data-token='reporting script'] button")).to_have_count(0)
    assert api.get("/api/v1/me").status_code == 401
    assert ApiToken.objects.get(name="reporting script").revoked_at is not None


def test_api_token_expiry_typed_in_the_buddhist_calendar(site, acme, shot):
    acme.owner.language = "th"
    acme.owner.save(update_fields=["language"])
    page = site.open_page(acme.owner)
    page.goto("/settings/tokens/")
    assert_direction(page, "th")
    expires = timezone.localdate() + dt.timedelta(days=45)
    expect(page.locator("#id_expires_on")).to_have_attribute(
        "placeholder", re.compile(r"^\d{2}/\d{2}/25\d\d$")
    )
    page.fill("#id_name", "สคริปต์รายงาน")
    page.fill("#id_expires_on", buddhist_short(expires))
    page.locator("main form button[type=submit]").click()
    row = page.locator("#pv-tokens tr[data-token='สคริปต์รายงาน']")
    expect(row).to_contain_text(buddhist_short(expires))
    token = ApiToken.objects.get(name="สคริปต์รายงาน")
    assert timezone.localtime(token.expires_at).date() == expires


def _audit_world(acme):
    """An admin's team made today, and an admin's team whose entry is ten days old."""
    services.team_create(actor=acme.admin, name="South")
    services.team_create(actor=acme.admin, name="Archive")
    AuditEntry.objects.filter(entity="team", record_label="Archive").update(
        created_at=timezone.now() - dt.timedelta(days=10)
    )


def test_audit_log_filters_by_member_and_dates(site, acme):
    _audit_world(acme)
    page = site.open_page(acme.owner)
    page.goto("/settings/audit/")
    assert_labelled(page)
    table = page.locator("#pv-audit tbody")
    expect(table).to_contain_text("Archive")
    expect(table).to_contain_text("Olivia Owner")

    page.locator("#id_actor").select_option(str(acme.admin.pk))
    page.get_by_role("button", name="Filter").click()
    expect(table.locator("tr")).to_have_count(2)
    for i in range(2):
        expect(table.locator("tr").nth(i).locator("td").nth(1)).to_have_text("Ada Admin")

    today = timezone.localdate()
    since = page.locator("#id_since")
    expect(since).to_have_attribute("placeholder", re.compile(r"^\d{4}-\d{2}-\d{2}$"))
    since.fill(today.isoformat())
    page.get_by_role("button", name="Filter").click()
    expect(table.locator("tr")).to_have_count(1)
    expect(table).to_contain_text("South")
    expect(page.locator("#id_since")).to_have_value(today.isoformat())  # shown back as typed

    page.fill("#id_since", "")
    page.fill("#id_until", (today - dt.timedelta(days=5)).isoformat())
    page.get_by_role("button", name="Filter").click()
    expect(table.locator("tr")).to_have_count(1)
    expect(table).to_contain_text("Archive")

    page.fill("#id_until", (today - dt.timedelta(days=20)).isoformat())
    page.get_by_role("button", name="Filter").click()
    expect(table).to_contain_text("Nothing matches these filters.")


def test_audit_log_in_persian_takes_jalali_dates_in_persian_digits(site, acme):
    _audit_world(acme)
    acme.owner.language = "fa"
    acme.owner.save(update_fields=["language"])
    page = site.open_page(acme.owner)
    page.goto("/")
    today = page_today(page)
    page.goto("/settings/audit/")
    assert_direction(page, "fa")
    assert_labelled(page)
    since, until = page.locator("#id_since"), page.locator("#id_until")
    # The placeholder shows the format: a Jalali date in Persian digits.
    expect(since).to_have_attribute("placeholder", re.compile(r"^[۰-۹]{4}/[۰-۹]{2}/[۰-۹]{2}$"))
    table = page.locator("#pv-audit tbody")

    since.fill(jalali_short(today))
    until.fill(jalali_short(today))
    page.locator("main form button[type=submit]").click()
    expect(table).to_contain_text("South")
    expect(table).not_to_contain_text("Archive")
    expect(page.locator("#id_since")).to_have_value(jalali_short(today))

    ten_days_ago = today - dt.timedelta(days=10)
    page.fill("#id_since", jalali_short(ten_days_ago))
    page.fill("#id_until", jalali_short(ten_days_ago))
    page.locator("main form button[type=submit]").click()
    expect(table.locator("tr")).to_have_count(1)
    expect(table).to_contain_text("Archive")
    # Dates in the table are Jalali with Persian digits too.
    when = table.locator("td").first.inner_text()
    assert when.startswith(jalali_short(ten_days_ago)), when


def test_audit_log_explains_a_date_it_cannot_read(site, acme):
    page = site.open_page(acme.owner)
    page.pv_watch.expect_status(422)
    page.goto("/settings/audit/")
    page.fill("#id_since", "next tuesday")
    page.locator("main form button[type=submit]").click()
    since = page.locator("#id_since")
    expect(since).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_since_error")).to_contain_text("Enter a date like")


def test_member_history_page(site, acme):
    page = site.open_page(acme.owner)
    page.goto(f"/settings/members/{acme.rep.pk}/")
    page.get_by_label("North").uncheck()
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator(".alert-success")).to_contain_text("Member updated.")
    page.goto(f"/settings/members/{acme.rep.pk}/")
    page.locator("main").get_by_role("link", name="History").click()
    expect(page).to_have_url(re.compile(rf"/history/member/{acme.rep.pk}/$"))
    expect(page.locator("h1")).to_contain_text("Reza Rep")
    latest = page.locator("#pv-history li").first
    expect(latest).to_contain_text("Changed")
    expect(latest).to_contain_text("Olivia Owner")
    expect(latest.locator("dt")).to_have_text(["Teams:"])
