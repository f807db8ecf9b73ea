"""Export → import gives the same records (CSV and vCard), including Persian and Thai text, several
e-mails and phones, dates, tags, consent and custom fields."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peyvand.accounts import services as account_services
from peyvand.contacts import exporting
from peyvand.contacts.importing import jobs
from peyvand.contacts.models import Contact
from peyvand.contacts.tests.factories import make_company, make_contact
from peyvand.core import customfields

pytestmark = pytest.mark.django_db


def _records(workspace_id: int) -> list[tuple]:
    rows = []
    for c in Contact.objects.filter(workspace_id=workspace_id).select_related("company", "lifecycle_stage"):
        rows.append(
            (
                c.first_name,
                c.last_name,
                sorted(c.emails.values_list("email", flat=True)),
                sorted(c.phones.values_list("number", flat=True)),
                c.job_title,
                c.company.name if c.company else "",
                c.birthday,
                sorted(t.name for t in c.tags.all()),
                c.email_consent,
                c.custom,
                c.lifecycle_stage.key if c.lifecycle_stage else "",
            )
        )
    return sorted(rows, key=repr)


def _copy(source, target, tmp_path, fmt: str) -> None:
    export = exporting.export_start(member=source, entity="contact", format=fmt, params={})
    path = tmp_path / f"contacts.{fmt}"
    with path.open("wb") as handle:
        export.write(handle)
    job = jobs.import_job_from_path(actor=target, entity="contact", path=path)
    jobs.import_job_start(actor=target, job=job, run_now=True)
    job = jobs.import_run(job.pk)
    assert job.status == "done" and job.error_count == 0, jobs.errors_file(job).read_text(
        encoding="utf-8-sig"
    )


@pytest.fixture
def pair(world, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    for workspace, owner in ((world.workspace, world.owner), (world.other_workspace, world.other_owner)):
        account_services.workspace_update(actor=owner, workspace=workspace, changes={"country": "IR"})
        owner.workspace.refresh_from_db()
        customfields.custom_field_create(
            actor=owner,
            data={
                "entity": "contact",
                "label": "Tier",
                "field_type": "choice",
                "choices": ["Gold", "Silver"],
            },
        )
        customfields.custom_field_create(
            actor=owner, data={"entity": "contact", "label": "Budget", "field_type": "number"}
        )
    return world


def test_csv_round_trip(pair, tmp_path):
    company = make_company(pair.owner, "شرکت نمونه‌سازان پارس")
    make_contact(
        pair.owner,
        "علی",
        "رضایی",
        emails=["ali@example.ir", "ali.home@example.com"],
        phones=["۰۹۱۲۱۲۳۴۵۶۷", "+66 81 234 5678"],
        job_title="=SUM(A1)",
        company=company,
        birthday=datetime.date(1985, 3, 21),
        tags=["VIP", "مشتری"],
        email_consent="granted",
        custom={"tier": "Gold", "budget": 1200.5},
    )
    make_contact(pair.owner, "สมชาย", "ใจดี", emails=["somchai@example.co.th"], custom={"tier": "Silver"})
    make_contact(pair.owner, "Zoë", "O'Neil, Jr.", phones=["+442079460958"], email_consent="withdrawn")
    _copy(pair.owner, pair.other_owner, tmp_path, "csv")
    assert _records(pair.other_workspace.pk) == _records(pair.workspace.pk)


def test_vcard_round_trip(pair, tmp_path):
    make_contact(
        pair.owner, "مریم", "احمدی", emails=["maryam@example.ir"], phones=["09351234567"], job_title="CFO"
    )
    make_contact(pair.owner, "กัญญา", "ศรีสุข", phones=["+66812345678"], birthday=datetime.date(1990, 1, 2))
    _copy(pair.owner, pair.other_owner, tmp_path, "vcf")
    fields = lambda rows: [(*r[:5], r[6]) for r in rows]  # noqa: E731 - vCards carry no consent or custom fields
    assert fields(_records(pair.other_workspace.pk)) == fields(_records(pair.workspace.pk))


names = st.text(
    alphabet=st.sampled_from(list("abcdefghij ABC-'") + list("علیرضاپژگچ") + list("สมชายใจดี")),
    min_size=1,
    max_size=20,
).filter(lambda s: s.strip())


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=names, last=names, title=st.text(max_size=30))
def test_any_text_survives_a_csv_round_trip(pair, tmp_path, first, last, title):
    Contact.all_objects.all().delete()
    make_contact(pair.owner, first, last, job_title=title)
    _copy(pair.owner, pair.other_owner, tmp_path, "csv")
    assert _records(pair.other_workspace.pk) == _records(pair.workspace.pk)
