"""The import wizard in the browser: upload (step 1), mapping with preview and duplicate policy (step 2),
progress partial and results (step 3), the problems download, the history list, and who may do what."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from peyvand.accounts import services as account_services
from peyvand.contacts.importing import jobs
from peyvand.contacts.models import Contact, ImportJob, ImportMapping

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"
HUBSPOT = DATA / "crm-exports/hubspot/hubspot-crm-exports-all-contacts-2025-01-15.csv"
HUBSPOT_COMPANIES = DATA / "crm-exports/hubspot/hubspot-crm-exports-all-companies-2025-01-15.csv"


@pytest.fixture
def iran(world, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    account_services.workspace_update(actor=world.owner, workspace=world.workspace, changes={"country": "IR"})
    world.owner.workspace.refresh_from_db()
    return world


def _upload(client, path: Path = HUBSPOT, url: str = "/contacts/import/"):
    return client.post(url, {"file": SimpleUploadedFile(path.name, path.read_bytes())})


def _job(response) -> ImportJob:
    assert response.status_code == 302, response.content.decode()[:2000]
    job_id = int(re.search(r"/contacts/imports/(\d+)/", response["Location"]).group(1))
    return ImportJob.objects.get(pk=job_id)


def _mapping_data(job: ImportJob, **changes) -> dict:
    data = {f"column_{i}": target for i, target in enumerate(job.mapping)}
    data["policy"] = job.policy
    data.update(changes)
    return data


def _text(response) -> str:
    return response.content.decode()


# ------------------------------------------------------------------------------------------ entry points


def test_lists_offer_import_to_who_may_create(iran, web_client_for):
    owner = web_client_for(iran.owner)
    assert 'href="/contacts/import/"' in _text(owner.get("/contacts/"))
    assert 'href="/companies/import/"' in _text(owner.get("/companies/"))
    read_only = web_client_for(iran.read_only)
    assert "/contacts/import/" not in _text(read_only.get("/contacts/"))
    assert read_only.get("/contacts/import/").status_code == 403
    assert (
        read_only.post(
            "/contacts/import/", {"file": SimpleUploadedFile("a.csv", b"Email\na@b.c\n")}
        ).status_code
        == 403
    )
    assert not ImportJob.objects.exists()


def test_anonymous_is_sent_to_sign_in(iran, web_client_for):
    client = web_client_for(None)
    for url in ("/contacts/import/", "/companies/import/", "/contacts/imports/"):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


def test_upload_page(iran, web_client_for):
    page = _text(web_client_for(iran.owner).get("/contacts/import/"))
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page
    assert "data-max-bytes" in page and "vCard" in page and 'aria-current="step"' in page
    companies = _text(web_client_for(iran.owner).get("/companies/import/"))
    assert "vCard" not in companies


# ------------------------------------------------------------------------------------------ the wizard


def test_wizard_end_to_end(iran, web_client_for, django_capture_on_commit_callbacks):
    client = web_client_for(iran.owner)
    job = _job(_upload(client))
    assert job.entity == "contact" and job.created_by_id == iran.owner.pk

    page = _text(client.get(f"/contacts/imports/{job.pk}/"))
    # each column with its suggested target selected, the first values, the preview, the policies
    assert re.search(r'name="column_0"[^>]*>.*?<option value="external_id" selected', page, re.S)
    assert re.search(r'name="column_3"[^>]*>.*?<option value="email" selected', page, re.S)
    assert "Record ID" in page and "ali.rezaei@example.ir" in page and "علی" in page
    assert page.count('type="radio" name="policy"') == 3 and 'value="skip"' in page
    assert "Custom fields" not in page  # none defined
    assert 'name="save_as"' in page

    data = _mapping_data(job, policy="update", save_as="HubSpot people", column_6="")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/contacts/imports/{job.pk}/", data)
    assert response.status_code == 302 and response["Location"] == f"/contacts/imports/{job.pk}/"
    job.refresh_from_db()
    assert job.status == "done", job.last_error
    assert job.policy == "update" and job.mapping[6] == ""
    assert ImportMapping.objects.get(name="HubSpot people").mapping == job.mapping
    assert Contact.objects.count() == job.created_count >= 4
    assert Contact.objects.get(email="ali.rezaei@example.ir").job_title == ""

    result = _text(client.get(f"/contacts/imports/{job.pk}/"))
    assert 'id="pv-import-result"' in result and 'hx-trigger="every 1s"' not in result
    assert f'href="/contacts/imports/{job.pk}/problems/"' in result
    assert 'href="/contacts/?ordering=-created_at"' in result
    assert f'data-count="created">{job.created_count}<' in result
    assert 'data-progress="100"' in result

    download = client.get(f"/contacts/imports/{job.pk}/problems/")
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    assert (
        (download["Content-Disposition"])
        == 'attachment; filename="hubspot-crm-exports-all-contacts-2025-01-15-problems.csv"'
    )
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["Row", "Column", "Value", "Problem", "Severity"] and len(rows) > 1

    # the next file with the same columns gets the saved mapping
    again = _job(_upload(client))
    assert again.mapping == job.mapping


def test_progress_partial_polls_until_finished(iran, web_client_for):
    client = web_client_for(iran.owner)
    job = _job(_upload(client))
    ImportJob.objects.filter(pk=job.pk).update(status="running", total_rows=200, processed_rows=50)
    partial = _text(client.get(f"/contacts/imports/{job.pk}/progress/", HTTP_HX_REQUEST="true"))
    assert partial.lstrip().startswith('<div id="pv-import-progress"')
    assert 'hx-trigger="every 1s"' in partial and 'hx-swap="outerHTML"' in partial
    assert 'aria-valuenow="25"' in partial and 'data-progress="25"' in partial
    assert "<html" not in partial and "Cancel import" in partial
    # the total is not known yet: an animated bar without a value
    ImportJob.objects.filter(pk=job.pk).update(total_rows=0, processed_rows=0)
    partial = _text(client.get(f"/contacts/imports/{job.pk}/progress/"))
    assert "progress-bar-animated" in partial and "aria-valuenow" not in partial
    ImportJob.objects.filter(pk=job.pk).update(status="done", total_rows=5, processed_rows=5, created_count=5)
    partial = _text(client.get(f"/contacts/imports/{job.pk}/progress/"))
    assert (
        "hx-trigger" not in partial and 'data-status="done"' in partial and 'id="pv-import-result"' in partial
    )
    ImportJob.objects.filter(pk=job.pk).update(status="failed", last_error="The disk is full.")
    partial = _text(client.get(f"/contacts/imports/{job.pk}/progress/"))
    assert "hx-trigger" not in partial and "The disk is full." in partial


def test_cancel_from_the_progress_page(iran, web_client_for):
    client = web_client_for(iran.owner)
    job = _job(_upload(client))
    ImportJob.objects.filter(pk=job.pk).update(status="queued")
    assert client.get(f"/contacts/imports/{job.pk}/cancel/").status_code == 405
    response = client.post(f"/contacts/imports/{job.pk}/cancel/")
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == "cancelled"
    page = _text(client.get(f"/contacts/imports/{job.pk}/", follow=True))
    assert "cancelled" in page


def test_vcard_wizard(iran, web_client_for, django_capture_on_commit_callbacks):
    client = web_client_for(iran.owner)
    job = _job(_upload(client, DATA / "vcards/all_mixed.vcf"))
    page = _text(client.get(f"/contacts/imports/{job.pk}/"))
    assert "column_0" not in page and 'name="save_as"' not in page and "@" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/contacts/imports/{job.pk}/", {"policy": "skip"})
    job.refresh_from_db()
    assert job.status == "done" and job.created_count == 5


def test_companies_wizard(iran, web_client_for, django_capture_on_commit_callbacks):
    client = web_client_for(iran.owner)
    job = _job(_upload(client, HUBSPOT_COMPANIES, "/companies/import/"))
    assert job.entity == "company"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/contacts/imports/{job.pk}/", _mapping_data(job))
    page = _text(client.get(f"/contacts/imports/{job.pk}/"))
    assert 'href="/companies/?ordering=-created_at"' in page and 'href="/companies/import/"' in page


def test_saved_mapping_can_be_applied(iran, web_client_for):
    client = web_client_for(iran.owner)
    job = _job(_upload(client))
    saved = ImportMapping.objects.create(
        workspace=iran.workspace,
        entity="contact",
        name="Only e-mails",
        headers_key="other",
        headers=job.headers,
        mapping=["", "", "", "email"] + [""] * (len(job.headers) - 4),
    )
    page = _text(client.get(f"/contacts/imports/{job.pk}/"))
    assert "Only e-mails" in page
    applied = _text(client.get(f"/contacts/imports/{job.pk}/", {"use": saved.pk}))
    assert not re.search(r'name="column_0"[^>]*>.*?<option value="external_id" selected', applied, re.S)
    assert re.search(r'name="column_3"[^>]*>.*?<option value="email" selected', applied, re.S)
    # a mapping of another workspace, or an id that is not one, changes nothing
    assert client.get(f"/contacts/imports/{job.pk}/", {"use": "x"}).status_code == 200


# ------------------------------------------------------------------------------------------ form errors


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.csv", "The file is empty."),
        (b"\x00\x01\x02binary\x00\xff" * 100, "data.csv", "does not look like a CSV file"),
        (b"First name\nSara\n", "people.xlsx", "could not be read as an Excel workbook"),
    ],
)
def test_bad_files_are_shown_next_to_the_field(iran, web_client_for, content, name, message):
    response = web_client_for(iran.owner).post(
        "/contacts/import/", {"file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 422
    page = _text(response)
    assert message in page and 'id="id_file_error"' in page and 'aria-invalid="true"' in page
    assert not ImportJob.objects.exists()


def test_missing_file(iran, web_client_for):
    response = web_client_for(iran.owner).post("/contacts/import/", {})
    assert response.status_code == 422 and 'id="id_file_error"' in _text(response)


def test_oversized_upload(iran, web_client_for, settings):
    settings.PEYVAND_MAX_UPLOAD_BYTES = 1000
    response = web_client_for(iran.owner).post(
        "/contacts/import/", {"file": SimpleUploadedFile("big.csv", b"Email\n" + b"a@example.com\n" * 200)}
    )
    assert response.status_code == 413
    assert not ImportJob.objects.exists()


def test_mapping_refusals_are_shown(iran, web_client_for):
    client = web_client_for(iran.owner)
    job = _job(_upload(client))
    doubled = client.post(f"/contacts/imports/{job.pk}/", _mapping_data(job, column_2="first_name"))
    assert doubled.status_code == 422
    page = _text(doubled)
    assert 'id="pv-mapping-errors"' in page and "already used" in page
    nothing = client.post(
        f"/contacts/imports/{job.pk}/",
        {**{f"column_{i}": "" for i in range(len(job.headers))}, "policy": "skip", "save_as": "Nothing"},
    )
    assert nothing.status_code == 422 and "Map at least one column." in _text(nothing)
    assert not ImportMapping.objects.exists()  # the refused start kept neither the mapping nor a copy
    unknown = client.post(f"/contacts/imports/{job.pk}/", _mapping_data(job, column_0="shoe_size"))
    assert unknown.status_code == 422 and "shoe_size" in _text(unknown)
    policy = client.post(f"/contacts/imports/{job.pk}/", _mapping_data(job, policy="merge"))
    assert policy.status_code == 422 and "Select a valid choice" in _text(policy)
    job.refresh_from_db()
    assert job.status == "mapping"


def test_mapping_refusals_leave_the_job_waiting(iran, web_client_for):
    client = web_client_for(iran.owner)
    job = _job(_upload(client))
    client.post(f"/contacts/imports/{job.pk}/", _mapping_data(job, column_2="first_name"))
    job.refresh_from_db()
    assert job.status == "mapping" and job.mapping[2] == "last_name"


def test_problems_file_before_the_run_is_404(iran, web_client_for):
    client = web_client_for(iran.owner)
    job = _job(_upload(client))
    assert client.get(f"/contacts/imports/{job.pk}/problems/").status_code == 404


# ------------------------------------------------------------------------------------------ permissions, history


def test_who_sees_and_changes_an_import(iran, web_client_for, django_capture_on_commit_callbacks):
    rep = web_client_for(iran.rep)
    job = _job(_upload(rep))
    for member in (iran.teammate, iran.other_owner):
        client = web_client_for(member)
        for url in ("", "progress/", "problems/"):
            assert client.get(f"/contacts/imports/{job.pk}/{url}").status_code == 404
        assert client.post(f"/contacts/imports/{job.pk}/", _mapping_data(job)).status_code == 404
        assert client.post(f"/contacts/imports/{job.pk}/cancel/").status_code == 404
    admin = web_client_for(iran.admin)
    page = admin.get(f"/contacts/imports/{job.pk}/")
    assert page.status_code == 200 and "column_0" not in _text(page)  # sees it, no mapping form
    assert "Waiting for the column mapping" in _text(page) and 'hx-trigger="every 1s"' not in _text(page)
    assert admin.post(f"/contacts/imports/{job.pk}/", _mapping_data(job)).status_code == 403
    job.refresh_from_db()
    assert job.status == "mapping"
    with django_capture_on_commit_callbacks(execute=True):
        rep.post(f"/contacts/imports/{job.pk}/", _mapping_data(job))
    assert admin.get(f"/contacts/imports/{job.pk}/problems/").status_code == 200


def test_history_list(iran, web_client_for):
    rep = web_client_for(iran.rep)
    mine = _job(_upload(rep))
    theirs = _job(_upload(web_client_for(iran.teammate)))
    page = _text(rep.get("/contacts/imports/"))
    assert f'data-import="{mine.pk}"' in page and f'data-import="{theirs.pk}"' not in page
    assert "Waiting for the column mapping" in page and 'href="/contacts/import/"' in page
    admin = _text(web_client_for(iran.admin).get("/contacts/imports/"))
    assert f'data-import="{mine.pk}"' in admin and f'data-import="{theirs.pk}"' in admin
    read_only = _text(web_client_for(iran.read_only).get("/contacts/imports/"))
    assert "No imports yet." in read_only and 'href="/contacts/import/"' not in read_only
    assert web_client_for(iran.rep).get("/contacts/imports/", {"cursor": "%%%"}).status_code == 200


def test_history_pages(iran, web_client_for, monkeypatch):
    from peyvand.core import pagination

    client = web_client_for(iran.owner)
    for _ in range(3):
        _upload(client)
    monkeypatch.setattr(pagination, "DEFAULT_LIMIT", 2)
    page = _text(client.get("/contacts/imports/"))
    assert page.count("data-import=") == 2
    cursor = re.search(r'href="\?cursor=([^"]+)"', page).group(1)
    older = _text(client.get(f"/contacts/imports/?cursor={cursor}"))
    assert older.count("data-import=") == 1


def test_upload_page_lists_recent_imports(iran, web_client_for):
    client = web_client_for(iran.owner)
    job = _job(_upload(client))
    page = _text(client.get("/contacts/import/"))
    assert f'href="/contacts/imports/{job.pk}/"' in page
    assert not list(jobs.imports_dir().glob("*-problems.csv"))
