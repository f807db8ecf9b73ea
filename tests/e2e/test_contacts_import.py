"""Importing in the browser: the HubSpot sample with bad rows goes through the wizard (upload, suggested
mapping with a preview, duplicate policy, progress, report), the problems file downloads; the progress bar
follows a running import by polling; the wizard right-to-left and at phone width.

Tasks: the test settings use django_tasks' ImmediateBackend (peyvand/config/settings_test.py), which the live
server shares, so "Start import" runs the import inside that request once its transaction commits. The test
still waits for the progress partial to say "done", so it holds with a queued backend and a worker too.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from e2e_helpers import (
    PHONE,
    assert_direction,
    assert_labelled,
    assert_no_horizontal_overflow,
    persian_digits,
)
from playwright.sync_api import expect

from peyvand.accounts import services as account_services
from peyvand.contacts import services
from peyvand.contacts.importing import jobs
from peyvand.contacts.models import Contact, ImportJob, ImportMapping

pytestmark = pytest.mark.e2e

SAMPLE = (
    Path(__file__).resolve().parents[2]
    / "peyvand/contacts/tests/data/crm-exports/hubspot/hubspot-crm-exports-all-contacts-2025-01-15.csv"
)
# Two rows no CRM should take, in the sample's own layout: an e-mail address without a domain, a phone
# number too short to be one. The sample's own odd rows (unknown owners, a lifecycle stage not in the list)
# go in with warnings.
BAD_ROWS = (
    "56,Bad,Email,not-an-email,,,,,,Lead,,,,2024-01-02 00:00,,\n"
    "57,Bad,Phone,bad.phone@example.com,12,,,,,Lead,,,,2024-01-03 00:00,,\n"
)


@pytest.fixture
def iran(acme, settings, tmp_path):
    """Acme with Iran as its country and the default lifecycle list; uploads kept in a temporary folder."""
    settings.DATA_DIR = tmp_path
    account_services.workspace_update(actor=acme.owner, workspace=acme.workspace, changes={"country": "IR"})
    acme.owner.workspace.refresh_from_db()
    services.lifecycle_ensure_defaults(acme.workspace.pk)
    return acme


def _sample_with_bad_rows() -> bytes:
    text = SAMPLE.read_text(encoding="utf-8")
    return (text if text.endswith("\n") else text + "\n").encode("utf-8") + BAD_ROWS.encode("utf-8")


def _upload(page, content: bytes, name: str = "hubspot-crm-exports-all-contacts-2025-01-15.csv") -> None:
    page.set_input_files("#id_file", files=[{"name": name, "mimeType": "text/csv", "buffer": content}])
    page.locator("#pv-import-upload button[type=submit]").click()


def _bar_share(page) -> float:
    """How much of its track the progress bar fills (0..1), as drawn."""
    return page.evaluate(
        "() => { const bar = document.querySelector('#pv-import-progress .progress-bar');"
        " return bar.getBoundingClientRect().width / bar.parentElement.getBoundingClientRect().width; }"
    )


def test_hubspot_sample_with_bad_rows_and_the_report(site, iran, shot):
    page = site.open_page(iran.owner)
    page.goto("/contacts/")
    page.locator("#pv-import").click()
    expect(page).to_have_url(re.compile(r"/contacts/import/$"))
    expect(page.locator("main h1")).to_have_text("Import contacts")
    assert_labelled(page)
    _upload(page, _sample_with_bad_rows())

    # Step 2: the suggested mapping, the first rows, the duplicate policy.
    expect(page).to_have_url(re.compile(r"/contacts/imports/\d+/$"))
    job = ImportJob.objects.get()
    expect(page.locator("select[name=column_0]")).to_have_value("external_id")
    expect(page.locator("select[name=column_1]")).to_have_value("first_name")
    expect(page.locator("select[name=column_3]")).to_have_value("email")
    expect(page.locator("select[name=column_5]")).to_have_value("mobile")
    expect(page.locator("select[name=column_13]")).to_have_value("")  # Create Date: not imported
    expect(page.locator("#pv-import-preview tbody tr")).to_have_count(5)
    expect(page.locator("#pv-import-preview")).to_contain_text("ali.rezaei@example.ir")
    expect(page.locator("[data-import-column='1']")).to_contain_text("علی")
    expect(page.locator("input[name=policy][value=skip]")).to_be_checked()
    assert_labelled(page)
    shot(page, "import-mapping")

    page.select_option("select[name=column_6]", "")  # leave the job titles out
    page.fill("#id_save_as", "HubSpot contacts")
    page.locator("#pv-import-mapping button[type=submit]").click()

    # Step 3: progress until done, then the report.
    expect(page).to_have_url(re.compile(rf"/contacts/imports/{job.pk}/$"))
    progress = page.locator("#pv-import-progress")
    expect(progress).to_have_attribute("data-status", "done", timeout=30_000)
    expect(page.locator("[data-count=total]")).to_have_text("7")
    expect(page.locator("[data-count=created]")).to_have_text("5")
    expect(page.locator("[data-count=errors]")).to_have_text("2")
    expect(page.locator("#pv-import-result")).to_contain_text("2 rows were not imported")
    expect(page.locator("#pv-import-progress [role=progressbar]")).to_have_attribute("aria-valuenow", "100")
    assert _bar_share(page) > 0.99
    shot(page, "import-done")

    with page.expect_download() as info:
        page.locator("#pv-import-problems").click()
    download = info.value
    assert download.suggested_filename == "hubspot-crm-exports-all-contacts-2025-01-15-problems.csv"
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["Row", "Column", "Value", "Problem", "Severity"]
    errors = {(r[0], r[1], r[2]) for r in rows[1:] if r[4].startswith("error")}
    assert errors == {("7", "Email", "not-an-email"), ("8", "Phone Number", "12")}, rows
    assert ("2", "Contact owner", "sara@crm.example") in {(r[0], r[1], r[2]) for r in rows[1:]}

    assert Contact.objects.count() == 5
    assert Contact.objects.get(email="ali.rezaei@example.ir").job_title == ""
    assert ImportMapping.objects.filter(name="HubSpot contacts").exists()

    # The list of what came in, newest first, and the history of imports.
    page.get_by_role("link", name="Show the contacts, newest first").click()
    expect(page).to_have_url(re.compile(r"/contacts/\?ordering=-created_at$"))
    expect(page.locator("main")).to_contain_text("علی")
    page.goto("/contacts/imports/")
    row = page.locator(f"tr[data-import='{job.pk}']")
    expect(row).to_contain_text("Done")
    expect(row).to_contain_text("hubspot-crm-exports-all-contacts-2025-01-15.csv")


def test_progress_bar_follows_a_running_import(site, iran):
    job = jobs.import_job_from_path(actor=iran.owner, entity="contact", path=SAMPLE)
    ImportJob.objects.filter(pk=job.pk).update(status="running", total_rows=40, processed_rows=10)
    page = site.open_page(iran.owner)
    page.goto(f"/contacts/imports/{job.pk}/")
    bar = page.locator("#pv-import-progress [role=progressbar]")
    expect(bar).to_have_attribute("aria-valuenow", "25")
    assert 0.2 < _bar_share(page) < 0.3
    ImportJob.objects.filter(pk=job.pk).update(processed_rows=30)
    expect(bar).to_have_attribute("aria-valuenow", "75", timeout=5_000)
    assert 0.7 < _bar_share(page) < 0.8
    ImportJob.objects.filter(pk=job.pk).update(status="done", processed_rows=40, created_count=40)
    expect(page.locator("#pv-import-progress")).to_have_attribute("data-status", "done", timeout=5_000)
    expect(page.locator("#pv-import-result")).to_contain_text("Every row went in.")
    # Finished: the partial no longer asks again.
    expect(page.locator("#pv-import-progress[hx-trigger]")).to_have_count(0)


def test_cancel_a_queued_import(site, iran):
    job = jobs.import_job_from_path(actor=iran.owner, entity="contact", path=SAMPLE)
    ImportJob.objects.filter(pk=job.pk).update(status="queued")
    page = site.open_page(iran.owner)
    page.goto(f"/contacts/imports/{job.pk}/")
    page.get_by_role("button", name="Cancel import").click()
    expect(page.locator("#pv-import-progress")).to_have_attribute("data-status", "cancelled")
    assert ImportJob.objects.get(pk=job.pk).status == "cancelled"


def test_refused_file_is_shown_next_to_the_field(site, iran):
    page = site.open_page(iran.owner)
    page.pv_watch.expect_status(422)
    page.goto("/companies/import/")
    _upload(page, b"\x00\x01binary\x00" * 50, "companies.csv")
    expect(page.locator("#id_file_error")).to_contain_text("This does not look like a CSV file.")
    expect(page.locator("#id_file")).to_have_attribute("aria-invalid", "true")
    assert not ImportJob.objects.exists()


def test_wizard_right_to_left_at_phone_width(site, iran, shot):
    iran.owner.language = "fa"
    iran.owner.save(update_fields=["language"])
    page = site.open_page(iran.owner, viewport=PHONE)
    page.goto("/contacts/import/")
    assert_direction(page, "fa")
    assert_no_horizontal_overflow(page)
    _upload(page, SAMPLE.read_bytes())
    expect(page).to_have_url(re.compile(r"/contacts/imports/\d+/$"))
    expect(page.locator("select[name=column_0]")).to_have_value("external_id")
    assert_no_horizontal_overflow(page)
    assert_labelled(page)
    shot(page, "import-mapping-fa-phone")
    page.locator("#pv-import-mapping button[type=submit]").click()
    expect(page.locator("#pv-import-progress")).to_have_attribute("data-status", "done", timeout=30_000)
    expect(page.locator("[data-count=created]")).to_have_text(persian_digits("5"))
    assert_no_horizontal_overflow(page)
    shot(page, "import-done-fa-phone")
    page.goto("/contacts/imports/")
    assert_no_horizontal_overflow(page)
