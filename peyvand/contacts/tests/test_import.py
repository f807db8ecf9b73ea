"""Importing contacts and companies: the HubSpot, Salesforce and Pipedrive samples, bad rows, re-runs,
encodings, vCards, and the duplicate policies."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from peyvand.accounts import services as account_services
from peyvand.contacts.importing import jobs
from peyvand.contacts.models import Company, Contact, ImportJob
from peyvand.contacts.tests.factories import make_contact
from peyvand.core.errors import PermissionDeniedError, ValidationFailedError
from peyvand.core.models import AuditEntry, OutboxEvent

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"


@pytest.fixture
def iran(world, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    account_services.workspace_update(actor=world.owner, workspace=world.workspace, changes={"country": "IR"})
    world.owner.workspace.refresh_from_db()
    return world


def _run(actor, entity, path: Path, policy="skip", mapping=None) -> ImportJob:
    job = jobs.import_job_from_path(actor=actor, entity=entity, path=path)
    if mapping is not None or policy != "skip":
        jobs.import_job_configure(actor=actor, job=job, column_map=mapping, policy=policy)
    jobs.import_job_start(actor=actor, job=job, run_now=True)
    return jobs.import_run(job.pk)


def _report(job: ImportJob) -> str:
    return jobs.errors_file(job).read_text(encoding="utf-8-sig")


def test_hubspot_contacts_with_bad_rows(iran):
    job = _run(
        iran.owner, "contact", DATA / "crm-exports/hubspot/hubspot-crm-exports-all-contacts-2025-01-15.csv"
    )
    assert job.status == "done", job.last_error
    report = _report(job)
    assert job.created_count + job.error_count == 5, report
    ali = Contact.objects.get(email="ali.rezaei@example.ir")
    assert (ali.first_name, ali.last_name) == ("علی", "رضایی")
    assert ali.phones.filter(number="+989121234567", label="mobile").exists()
    assert ali.company is not None and "نمونه" in ali.company.name
    assert ali.lifecycle_stage is not None and ali.lifecycle_stage.key == "customer"
    assert ali.external_id == "51"
    assert AuditEntry.objects.filter(entity="contact", record_id=str(ali.pk), channel="import").exists()
    assert OutboxEvent.objects.filter(name="contact.imported").exists()
    # running the same import again creates nothing new
    again = _run(
        iran.owner, "contact", DATA / "crm-exports/hubspot/hubspot-crm-exports-all-contacts-2025-01-15.csv"
    )
    assert again.created_count == 0 and again.skipped_count == job.created_count
    assert Contact.objects.count() == job.created_count


@pytest.mark.parametrize(
    "name",
    [
        "crm-exports/hubspot/contacts-excel-utf8-bom-crlf.csv",
        "crm-exports/hubspot/hubspot-crm-exports-all-contacts-2025-01-15.xlsx",
        "crm-exports/pipedrive/people-export.csv",
        "crm-exports/salesforce-dataloader/extract_Contact.csv",
    ],
)
def test_other_layouts_import(iran, name):
    job = _run(iran.owner, "contact", DATA / name)
    assert job.status == "done", job.last_error
    assert job.created_count >= 2, _report(job)
    assert Contact.objects.filter(first_name="علی").exists()


@pytest.mark.parametrize(
    "name",
    [
        "crm-exports/hubspot/hubspot-crm-exports-all-companies-2025-01-15.csv",
        "crm-exports/salesforce-dataloader/extract_Account.csv",
        "crm-exports/pipedrive/organizations-export.csv",
    ],
)
def test_companies_import(iran, name):
    job = _run(iran.owner, "company", DATA / name)
    assert job.status == "done", job.last_error
    assert job.created_count >= 2, _report(job)
    assert Company.objects.filter(name__contains="نمونه").exists()


def test_bad_rows_are_reported_and_good_rows_go_in(iran, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(
        "First name,Last name,Email,Phone,Birthday\n"
        "Sara,Ahmadi,sara@example.com,09121234567,1370/01/15\n"
        "Bad,Phone,bad@example.com,12,\n"
        "Bad,Email,not-an-email,,\n"
        ",,,,\n"
        '=HYPERLINK("x"),Evil,evil@example.com,,\n'
        "Reza,Karimi,reza@example.com,۰۹۳۵۱۲۳۴۵۶۷,2024-02-30\n",
        encoding="utf-8",
    )
    job = _run(iran.owner, "contact", path)
    report = _report(job)
    assert job.created_count == 2 and job.error_count == 3, report
    sara = Contact.objects.get(email="sara@example.com")
    assert sara.birthday.isoformat() == "1991-04-04"
    assert "Phone" in report and "Email" in report and "Birthday" in report
    assert "'=HYPERLINK" in report or Contact.objects.filter(last_name="Evil").exists()


def test_values_over_a_fields_limit_are_reported_with_the_row(iran, tmp_path):
    """The importer checks each field a row fills (and the contact's copy of its primary e-mail), so a
    value the cleaner lets through but the column cannot hold is a reported row, not a database error."""
    long_email = "x" * 64 + "@" + ("d" * 63 + ".") * 3 + "com"  # a valid address of 260 characters
    path = tmp_path / "limits.csv"
    path.write_text(
        "First name,Email,Website\n"
        f"Sara,sara@example.com,https://example.com/{'a' * 600}\n"
        f"Reza,{long_email},\n"
        "Nima,nima@example.com,https://example.com/\n",
        encoding="utf-8",
    )
    job = _run(iran.owner, "contact", path)
    report = _report(job)
    assert (job.created_count, job.error_count) == (1, 2), report
    assert list(Contact.objects.values_list("first_name", flat=True)) == ["Nima"]
    problems = {row[0]: row[1:3] for row in csv.reader(io.StringIO(report))}
    assert problems["2"] == ["Website", f"https://example.com/{'a' * 600}"[:200]]
    assert problems["3"] == ["Email", long_email[:200]]


def test_a_long_name_or_second_address_is_reported_under_its_column(iran, tmp_path):
    long_email = "x" * 64 + "@" + ("d" * 63 + ".") * 3 + "com"
    path = tmp_path / "more-limits.csv"
    path.write_text(
        "Full name,Email,Other email\n"
        f"{'N' * 150},long@example.com,\n"
        f"Reza Karimi,reza@example.com,{long_email}\n"
        "Nima Rad,nima@example.com,\n",
        encoding="utf-8",
    )
    job = _run(iran.owner, "contact", path, mapping=["full_name", "email", "email"])
    report = _report(job)
    assert job.status == ImportJob.Status.DONE, job.last_error
    assert (job.created_count, job.error_count) == (1, 2), report
    problems = {row[0]: row[1] for row in csv.reader(io.StringIO(report))}
    assert problems["2"] == "Full name" and problems["3"] == "Other email"


def test_policies_update_and_create(iran, tmp_path):
    existing = make_contact(iran.owner, "Sara", "Old", emails=["sara@example.com"])
    path = tmp_path / "people.csv"
    path.write_text(
        "First name,Last name,Email,Job title\nSara,Ahmadi,SARA@example.com,CFO\n", encoding="utf-8"
    )
    skipped = _run(iran.owner, "contact", path)
    assert skipped.skipped_count == 1 and Contact.objects.count() == 1
    path.write_text(
        "First name,Last name,Email,Job title\nSara,Ahmadi,SARA@example.com,CEO\n", encoding="utf-8"
    )
    updated = _run(iran.owner, "contact", path, policy="update")
    existing.refresh_from_db()
    assert updated.updated_count == 1 and existing.job_title == "CEO" and existing.last_name == "Ahmadi"
    path.write_text(
        "First name,Last name,Email,Job title\nSara,Ahmadi,SARA@example.com,COO\n", encoding="utf-8"
    )
    created = _run(iran.owner, "contact", path, policy="create")
    assert created.created_count == 1 and Contact.objects.count() == 2


def test_legacy_encodings(iran, tmp_path):
    path = tmp_path / "fa.csv"
    path.write_bytes("نام,نام خانوادگي,تلفن همراه\nعلي,رضايي,09121234567\n".encode("cp1256"))
    assert _run(iran.owner, "contact", path).created_count == 1
    path = tmp_path / "th.csv"
    path.write_bytes("ชื่อ;นามสกุล;อีเมล\nสมชาย;ใจดี;somchai@example.co.th\n".encode("tis-620"))
    assert _run(iran.owner, "contact", path).created_count == 1
    assert Contact.objects.filter(first_name="สมชาย", last_name="ใจดี").exists()


def test_vcards(iran):
    job = _run(iran.owner, "contact", DATA / "vcards/all_mixed.vcf")
    assert job.status == "done", job.last_error
    assert job.created_count == 5, _report(job)
    kanya = Contact.objects.get(first_name="กัญญา")
    assert kanya.phones.filter(number="+66812345678").exists()


def test_permissions_and_bad_files(iran, tmp_path):
    with pytest.raises(PermissionDeniedError):
        jobs.import_job_create(
            actor=iran.read_only, entity="contact", source=io.BytesIO(b"a\n1\n"), filename="a.csv"
        )
    for content in (b"", b"\x00\x01binary\x00"):
        with pytest.raises(ValidationFailedError):
            jobs.import_job_create(
                actor=iran.owner, entity="contact", source=io.BytesIO(content), filename="x.csv"
            )
    assert not list(jobs.imports_dir().glob("*.csv"))


def test_oversized_upload_refused(iran, settings):
    settings.PEYVAND_MAX_UPLOAD_BYTES = 1000
    with pytest.raises(ValidationFailedError):
        jobs.import_job_create(
            actor=iran.owner, entity="contact", source=io.BytesIO(b"a,b\n" * 1000), filename="x.csv"
        )


def test_a_second_run_of_the_same_job_stops_instead_of_importing_twice(iran, tmp_path):
    """A task delivered twice: both runs read the job at the same resume point; the one that commits a
    batch first owns the job, the other stops without writing its batch or its counts."""
    path = tmp_path / "people.csv"
    path.write_text("First name,Email\nSara,sara@example.com\nReza,reza@example.com\n", encoding="utf-8")
    job = jobs.import_job_from_path(actor=iran.owner, entity="contact", path=path)
    jobs.import_job_start(actor=iran.owner, job=job, run_now=True)
    stale = ImportJob.objects.get(pk=job.pk)  # what a second worker read before the first one wrote
    done = jobs.import_run(job.pk)
    assert done.status == ImportJob.Status.DONE and done.created_count == 2
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING)  # as if still running
    cleaner = jobs.engine.RowCleaner(iran.owner, "contact", stale.headers, stale.mapping)
    row, _problems = cleaner.clean(2, ["Sara", "sara2@example.com"])
    assert row is not None
    report = jobs._Report(jobs.errors_file(stale), fresh=True)
    with pytest.raises(jobs._ClaimLost):
        jobs._commit(stale, iran.owner, [row], [], jobs.engine.CompanyFinder(iran.owner), "x", report, 2, 1)
    assert report.handle is None  # the losing run never opened (or emptied) the problems file
    assert not Contact.objects.filter(emails__email="sara2@example.com").exists()
    after = ImportJob.objects.get(pk=job.pk)
    assert (after.created_count, after.resume_after) == (2, done.resume_after)


def test_problems_file_says_what_happened_to_the_row_in_the_importers_language(iran, tmp_path):
    """A worker has no request: the run itself speaks the language of the member who started it."""
    iran.owner.language = "fa"
    iran.owner.save(update_fields=["language"])
    path = tmp_path / "people.csv"
    path.write_text("First name,Email,Lifecycle\nSara,not-an-email,\nReza,reza@example.com,Nonsense\n")
    job = _run(iran.owner, "contact", path)
    rows = list(csv.reader(io.StringIO(_report(job))))
    assert job.created_count == 1 and job.error_count == 1
    severities = {r[0]: r[4] for r in rows[1:]}
    assert all(re.search("[\u0600-\u06ff]", text) for text in severities.values())  # Persian, not a code
    assert severities["2"] != severities["3"]


def test_a_run_that_lost_the_job_to_another_neither_finishes_it_nor_touches_its_report(
    iran, tmp_path, monkeypatch
):
    path = tmp_path / "people.csv"
    path.write_text("First name,Email\nSara,sara@example.com\n", encoding="utf-8")
    job = jobs.import_job_from_path(actor=iran.owner, entity="contact", path=path)
    jobs.import_job_start(actor=iran.owner, job=job, run_now=True)
    jobs.errors_file(job).write_text("the other run's report", encoding="utf-8")

    def lose(*args, **kwargs):
        raise jobs._ClaimLost

    monkeypatch.setattr(jobs, "_run", lose)
    after = jobs.import_run(job.pk)
    assert after.status == ImportJob.Status.RUNNING and after.finished_at is None
    assert jobs.errors_file(job).read_text(encoding="utf-8") == "the other run's report"
