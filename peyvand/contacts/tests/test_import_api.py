"""The import endpoints: the HubSpot sample end to end, mapping edits and saved mappings, the permission
matrix, and bad uploads (empty, binary, a zip bomb dressed as .xlsx, oversized) refused with the envelope."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from peyvand.accounts import services as account_services
from peyvand.contacts.importing import jobs
from peyvand.contacts.models import Contact, ImportJob, ImportMapping
from peyvand.core import customfields
from peyvand.core.models import IdempotencyRecord

pytestmark = pytest.mark.django_db
API = "/api/v1/imports"
DATA = Path(__file__).parent / "data"
HUBSPOT = DATA / "crm-exports/hubspot/hubspot-crm-exports-all-contacts-2025-01-15.csv"
HUBSPOT_COMPANIES = DATA / "crm-exports/hubspot/hubspot-crm-exports-all-companies-2025-01-15.csv"


@pytest.fixture
def iran(world, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    account_services.workspace_update(actor=world.owner, workspace=world.workspace, changes={"country": "IR"})
    world.owner.workspace.refresh_from_db()
    return world


def _file(content: bytes, name: str) -> io.BytesIO:
    handle = io.BytesIO(content)
    handle.name = name
    return handle


def _upload(client, path: Path = HUBSPOT, entity: str = "contact", **extra):
    with path.open("rb") as handle:
        return client.post(API, {"file": handle, "entity": entity}, **extra)


def _patch(client, job_id: int, body: dict, **extra):
    return client.patch(f"{API}/{job_id}", body, content_type="application/json", **extra)


def _start(client, job_id: int, capture):
    """Start a job; the immediate task backend runs it when the transaction commits."""
    with capture(execute=True):
        return client.post(f"{API}/{job_id}/start")


def _problems(client, job_id: int) -> list[list[str]]:
    response = client.get(f"{API}/{job_id}/problems")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


# ------------------------------------------------------------------------------------------ end to end


def test_hubspot_sample_end_to_end(iran, api_client_for, django_capture_on_commit_callbacks):
    customfields.custom_field_create(
        actor=iran.owner, data={"entity": "contact", "label": "Lead status", "field_type": "text"}
    )
    client = api_client_for(iran.owner)
    response = _upload(client)
    assert response.status_code == 201, response.content
    job = response.json()
    assert (job["entity"], job["format"], job["encoding"], job["delimiter"]) == (
        "contact",
        "csv",
        "utf-8",
        ",",
    )
    assert job["status"] == "mapping" and job["policy"] == "skip" and job["problems_url"] is None
    assert job["headers"][:4] == ["Record ID", "First Name", "Last Name", "Email"]
    # the suggested mapping: HubSpot's labels, and a custom field found by its label
    assert job["mapping"][:6] == ["external_id", "first_name", "last_name", "email", "phone", "mobile"]
    assert job["mapping"][job["headers"].index("Lead Status")] == "custom.lead_status"
    assert job["mapping"][job["headers"].index("Create Date")] == ""
    assert len(job["preview"]) == 5 and job["preview"][0][:3] == ["51", "علی", "رضایی"]
    targets = {t["key"]: t for t in job["targets"]}
    assert targets["email"]["repeatable"] and not targets["first_name"]["repeatable"]
    assert targets["custom.lead_status"]["label"] == "Lead status"
    assert job["counts"] == {
        "total": 0,
        "processed": 0,
        "created": 0,
        "updated": 0,
        "skipped": 0,
        "errors": 0,
    }

    # the member edits the mapping: the job title is left out, the city kept; saved for next time
    mapping = list(job["mapping"])
    mapping[job["headers"].index("Job Title")] = ""
    response = _patch(
        client, job["id"], {"mapping": mapping, "policy": "update", "save_as": "HubSpot people"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["mapping"] == mapping and response.json()["policy"] == "update"
    assert response.json()["version"] == job["version"] + 1

    response = _start(client, job["id"], django_capture_on_commit_callbacks)
    assert response.status_code == 202, response.content
    done = client.get(f"{API}/{job['id']}").json()
    assert done["status"] == "done", done["last_error"]
    counts = done["counts"]
    assert counts["total"] == counts["processed"] == 5
    assert counts["created"] + counts["errors"] == 5 and counts["created"] >= 4
    assert done["started_at"] and done["finished_at"]
    assert done["problems_url"] == f"{API}/{job['id']}/problems"
    ali = Contact.objects.get(email="ali.rezaei@example.ir")
    assert ali.job_title == "" and ali.custom.get("lead_status") in (None, "")

    rows = _problems(client, job["id"])
    assert rows[0] == ["Row", "Column", "Value", "Problem", "Severity"]
    # every problem names its row and column ("Contact owner" matches no member of this workspace)
    assert any(r[1] == "Contact owner" and r[2] == "sara@crm.example" for r in rows[1:])
    assert all(r[0].isdigit() and r[3] for r in rows[1:])

    # the saved mapping is listed and suggested for the next file with the same header row
    saved = client.get(f"{API}/mappings", {"entity": "contact"}).json()["items"]
    assert [(m["name"], m["mapping"]) for m in saved] == [("HubSpot people", mapping)]
    again = _upload(client).json()
    assert again["mapping"] == mapping
    # and the same rows imported again are recognised, not duplicated
    _start(client, again["id"], django_capture_on_commit_callbacks)
    second = client.get(f"{API}/{again['id']}").json()["counts"]
    assert second["created"] == 0 and second["skipped"] == counts["created"]
    assert Contact.objects.count() == counts["created"]


def test_bad_rows_are_reported_with_row_column_and_reason(
    iran, api_client_for, django_capture_on_commit_callbacks
):
    client = api_client_for(iran.owner)
    content = (
        b"First name,Last name,Email,Phone\n"
        b"Sara,Ahmadi,sara@example.com,09121234567\n"
        b"Bad,Email,not-an-email,\n"
        b"Bad,Phone,bad@example.com,12\n"
    )
    job = client.post(API, {"file": _file(content, "people.csv"), "entity": "contact"}).json()
    _start(client, job["id"], django_capture_on_commit_callbacks)
    counts = client.get(f"{API}/{job['id']}").json()["counts"]
    assert (counts["created"], counts["errors"]) == (1, 2)
    problems = {(r[0], r[1]) for r in _problems(client, job["id"])[1:] if r[4].startswith("error")}
    assert problems == {("3", "Email"), ("4", "Phone")}


def test_companies_and_cancel(iran, api_client_for):
    client = api_client_for(iran.owner)
    job = _upload(client, HUBSPOT_COMPANIES, "company").json()
    assert job["entity"] == "company" and "name" in job["mapping"]
    assert {t["key"] for t in job["targets"]} >= {"name", "domain", "industry"}
    response = client.post(f"{API}/{job['id']}/cancel")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert client.post(f"{API}/{job['id']}/start").json()["code"] == "conflict"
    assert _patch(client, job["id"], {"policy": "create"}).status_code == 409
    # cancelling again answers the job as it is
    assert client.post(f"{API}/{job['id']}/cancel").json()["status"] == "cancelled"


# ------------------------------------------------------------------------------------------ mapping edits


def test_mapping_refusals(iran, api_client_for, django_capture_on_commit_callbacks):
    client = api_client_for(iran.owner)
    job = _upload(client).json()
    columns = len(job["headers"])

    wrong_length = _patch(client, job["id"], {"mapping": ["email"]})
    assert wrong_length.status_code == 422 and "mapping" in wrong_length.json()["fields"]
    unknown = _patch(client, job["id"], {"mapping": ["shoe_size"] + [""] * (columns - 1)})
    assert unknown.status_code == 422 and "shoe_size" in unknown.json()["fields"]["mapping"][0]
    twice = _patch(client, job["id"], {"mapping": ["first_name", "first_name"] + [""] * (columns - 2)})
    assert twice.status_code == 422 and twice.json()["fields"]["mapping"]
    policy = _patch(client, job["id"], {"policy": "merge"})
    assert policy.status_code == 422 and "policy" in policy.json()["fields"]
    unknown_field = _patch(client, job["id"], {"colour": "red"})
    assert unknown_field.status_code == 422 and "colour" in unknown_field.json()["fields"]
    stale = _patch(client, job["id"], {"policy": "create"}, HTTP_IF_MATCH=str(job["version"] + 5))
    assert stale.status_code == 412
    stale_body = _patch(client, job["id"], {"policy": "create", "expected_version": 99})
    assert stale_body.status_code == 409

    nothing = _patch(client, job["id"], {"mapping": [""] * columns})
    assert nothing.status_code == 200
    no_columns = client.post(f"{API}/{job['id']}/start")
    assert no_columns.status_code == 422 and "mapping" in no_columns.json()["fields"]

    assert _patch(client, job["id"], {"mapping": job["mapping"]}).status_code == 200
    assert _start(client, job["id"], django_capture_on_commit_callbacks).status_code == 202
    assert client.post(f"{API}/{job['id']}/start").status_code == 409
    late = _patch(client, job["id"], {"policy": "create"})
    assert late.status_code == 409 and late.json()["code"] == "conflict"
    assert ImportJob.objects.get(pk=job["id"]).policy == "skip"


def test_problems_file_before_the_run(iran, api_client_for):
    client = api_client_for(iran.owner)
    job = _upload(client).json()
    response = client.get(f"{API}/{job['id']}/problems")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_vcard_upload_previews_names(iran, api_client_for):
    client = api_client_for(iran.owner)
    response = _upload(client, DATA / "vcards/all_mixed.vcf")
    assert response.status_code == 201, response.content
    job = response.json()
    assert job["format"] == "vcf" and job["headers"] == [] and len(job["preview"]) == 5
    assert all(len(row) == 3 for row in job["preview"])
    assert any("@" in row[1] for row in job["preview"])


# ------------------------------------------------------------------------------------------ permissions


# Who → status per operation, on imports uploaded by the rep. Starting an import needs the create permission
# of what it imports (read-only has none). Imports are seen by their uploader, and by roles whose import
# view scope is `all` (owner, admin); only the uploader changes or starts one (it runs as them); whoever
# sees one may cancel it and download its problems file. The contacts matrix (test_api_matrix.py) leaves
# the imports operations to this one, because uploads are multipart.
ACTORS = ("owner", "admin", "manager", "rep", "support", "read_only", "other", "anonymous")


def _row(**statuses: int) -> dict[str, int]:
    return {"anonymous": 401, **statuses}


SEES = _row(owner=200, admin=200, manager=404, rep=200, support=404, read_only=404, other=404)
CHANGES = _row(owner=403, admin=403, manager=404, rep=200, support=404, read_only=404, other=404)
IMPORT_MATRIX: dict[str, dict[str, int]] = {
    "list": _row(**dict.fromkeys(ACTORS[:-1], 200)),
    "mappings": _row(**dict.fromkeys(ACTORS[:-1], 200)),
    "create": _row(owner=201, admin=201, manager=201, rep=201, support=201, read_only=403, other=201),
    "create_company": _row(owner=201, admin=201, manager=201, rep=201, support=201, read_only=403, other=201),
    "get": SEES,
    "patch": CHANGES,
    "start": {**CHANGES, "rep": 202},
    "cancel": SEES,
    "problems": SEES,
}


def _send(client, case: str, w):
    job, done = w.rep_job, w.rep_done
    if case == "list":
        return client.get(API)
    if case == "mappings":
        return client.get(f"{API}/mappings")
    if case == "create":
        return _upload(client)
    if case == "create_company":
        return _upload(client, HUBSPOT_COMPANIES, "company")
    if case == "get":
        return client.get(f"{API}/{job.pk}")
    if case == "patch":
        return _patch(client, job.pk, {"policy": "update", "save_as": "Mine"})
    if case == "start":
        return client.post(f"{API}/{job.pk}/start")
    if case == "cancel":
        return client.post(f"{API}/{job.pk}/cancel")
    return client.get(f"{API}/{done.pk}/problems")


def _state() -> dict:
    return {
        "jobs": list(ImportJob.objects.order_by("pk").values()),
        "mappings": list(ImportMapping.objects.order_by("pk").values()),
        "files": sorted(p.name for p in jobs.imports_dir().iterdir()),
        "contacts": list(Contact.all_objects.order_by("pk").values_list("pk", flat=True)),
    }


@pytest.fixture
def import_world(iran):
    rep = jobs.import_job_from_path(actor=iran.rep, entity="contact", path=HUBSPOT)
    done = jobs.import_job_from_path(actor=iran.rep, entity="contact", path=HUBSPOT)
    jobs.import_job_start(actor=iran.rep, job=done, run_now=True)
    jobs.import_run(done.pk)
    theirs = jobs.import_job_from_path(actor=iran.other_owner, entity="contact", path=HUBSPOT)
    iran.rep_job, iran.rep_done, iran.their_job = rep, done, theirs
    return iran


@pytest.mark.parametrize("case", sorted(IMPORT_MATRIX))
def test_import_permission_matrix(import_world, api_client_for, case):
    from peyvand.accounts.tests.test_api_matrix import actor_of, assert_envelope, each_actor

    def check(who: str, status: int) -> None:
        client = api_client_for(actor_of(import_world, who))
        before = _state()
        response = _send(client, case, import_world)
        assert response.status_code == status, response.content[:300]
        if status >= 400:
            assert_envelope(response)
            assert _state() == before, "a refused request changed something"

    each_actor(IMPORT_MATRIX[case], check)


def test_imports_of_another_workspace_are_404(import_world, api_client_for):
    theirs = import_world.their_job.pk
    for member in (import_world.owner, import_world.admin):
        client = api_client_for(member)
        before = _state()
        for response in (
            client.get(f"{API}/{theirs}"),
            _patch(client, theirs, {"policy": "update"}),
            client.post(f"{API}/{theirs}/start"),
            client.post(f"{API}/{theirs}/cancel"),
            client.get(f"{API}/{theirs}/problems"),
        ):
            assert response.status_code == 404 and response.json()["code"] == "not_found"
        assert _state() == before
        assert theirs not in [j["id"] for j in client.get(API).json()["items"]]


def test_lists_show_what_each_member_sees(import_world, api_client_for):
    def listed(member) -> set[int]:
        return {j["id"] for j in api_client_for(member).get(API).json()["items"]}

    rep_jobs = {import_world.rep_job.pk, import_world.rep_done.pk}
    assert listed(import_world.rep) == rep_jobs
    assert listed(import_world.owner) == listed(import_world.admin) == rep_jobs
    assert listed(import_world.teammate) == listed(import_world.manager) == set()
    assert listed(import_world.other_owner) == {import_world.their_job.pk}


def test_cancel_and_problems_follow_visibility(iran, api_client_for, django_capture_on_commit_callbacks):
    rep = api_client_for(iran.rep)
    job = _upload(rep).json()
    _start(rep, job["id"], django_capture_on_commit_callbacks)
    assert api_client_for(iran.teammate).get(f"{API}/{job['id']}/problems").status_code == 404
    assert api_client_for(iran.other_owner).get(f"{API}/{job['id']}/problems").status_code == 404
    assert api_client_for(None).get(f"{API}/{job['id']}/problems").status_code == 401
    assert api_client_for(iran.admin).get(f"{API}/{job['id']}/problems").status_code == 200
    assert api_client_for(iran.teammate).post(f"{API}/{job['id']}/cancel").status_code == 404
    other = _upload(rep).json()
    response = api_client_for(iran.admin).post(f"{API}/{other['id']}/cancel")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"


def test_saved_mappings_follow_create_permission(iran, api_client_for):
    ImportMapping.objects.create(
        workspace=iran.workspace,
        entity="contact",
        name="People",
        headers_key="x",
        headers=["a"],
        mapping=["email"],
    )
    ImportMapping.objects.create(
        workspace=iran.other_workspace,
        entity="contact",
        name="Theirs",
        headers_key="x",
        headers=[],
        mapping=[],
    )
    names = [m["name"] for m in api_client_for(iran.rep).get(f"{API}/mappings").json()["items"]]
    assert names == ["People"]
    assert api_client_for(iran.read_only).get(f"{API}/mappings").json()["items"] == []
    assert api_client_for(iran.rep).get(f"{API}/mappings", {"entity": "company"}).json()["items"] == []


# ------------------------------------------------------------------------------------------ lists


def test_list_pages_and_filters(iran, api_client_for):
    client = api_client_for(iran.owner)
    ids = [_upload(client).json()["id"] for _ in range(3)]
    company = _upload(client, HUBSPOT_COMPANIES, "company").json()["id"]
    first = client.get(API, {"limit": 2}).json()
    assert [j["id"] for j in first["items"]] == [company, ids[2]] and first["next_cursor"]
    rest = client.get(API, {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [j["id"] for j in rest["items"]] == [ids[1], ids[0]] and rest["next_cursor"] is None
    assert [j["id"] for j in client.get(API, {"entity": "company"}).json()["items"]] == [company]
    assert client.get(API, {"status": "done"}).json()["items"] == []
    assert client.get(API, {"status": "nonsense"}).status_code == 422
    assert "preview" not in first["items"][0]


def test_list_query_count_does_not_grow(iran, api_client_for, django_assert_max_num_queries):
    client = api_client_for(iran.owner)
    rep = api_client_for(iran.rep)
    for _ in range(2):
        _upload(client)
        _upload(rep)
    client.get(API)
    with CaptureQueriesContext(connection) as small:
        assert len(client.get(API, {"limit": 1}).json()["items"]) == 1
    with django_assert_max_num_queries(len(small)):
        assert len(client.get(API, {"limit": 4}).json()["items"]) == 4


# ------------------------------------------------------------------------------------------ bad uploads


def _zip_bomb() -> bytes:
    """An "Excel workbook": the parts a workbook has, one of them 50 MB of zeros that packs to a few KB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", "0" * (50 * 1024 * 1024))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"", "empty.csv"),
        (b"   \n\n", "blank.csv"),
        (b"\x00\x01\x02binary\x00\xff" * 200, "data.csv"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 500, "photo.csv"),
        (b"First name,Email\nSara,sara@example.com\n", "people.xlsx"),  # not really a workbook
        (b"PK\x03\x04broken zip", "book.xlsx"),
    ],
)
def test_bad_files_are_refused_naming_the_file(iran, api_client_for, content, name):
    response = api_client_for(iran.owner).post(API, {"file": _file(content, name), "entity": "contact"})
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "validation_error" and body["fields"]["file"]
    assert not ImportJob.objects.exists()
    assert not list(jobs.imports_dir().iterdir())


def test_zip_bomb_dressed_as_xlsx_is_refused(iran, api_client_for):
    bomb = _zip_bomb()
    assert len(bomb) < 1024 * 1024
    response = api_client_for(iran.owner).post(
        API, {"file": _file(bomb, "contacts.xlsx"), "entity": "contact"}
    )
    assert response.status_code == 422, response.content
    assert response.json()["fields"]["file"]
    assert not ImportJob.objects.exists()


def test_oversized_upload_is_413_naming_the_file(iran, api_client_for, settings):
    settings.PEYVAND_MAX_UPLOAD_BYTES = 2000
    content = b"First name,Email\n" + b"Sara,sara@example.com\n" * 200
    response = api_client_for(iran.owner).post(API, {"file": _file(content, "big.csv"), "entity": "contact"})
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large" and response.json()["fields"]["file"]
    assert not ImportJob.objects.exists()


def test_upload_refused_by_the_service_when_the_size_is_not_announced(iran, settings):
    """Without a Content-Length (a chunked body) the size is checked while the file is stored."""
    settings.PEYVAND_MAX_UPLOAD_BYTES = 1000
    from peyvand.core.errors import ValidationFailedError

    with pytest.raises(ValidationFailedError) as refused:
        jobs.import_job_create(
            actor=iran.owner, entity="contact", source=io.BytesIO(b"a,b\n" * 1000), filename="x.csv"
        )
    assert refused.value.fields["file"]


def test_missing_parts_name_themselves(iran, api_client_for):
    client = api_client_for(iran.owner)
    no_file = client.post(API, {"entity": "contact"})
    assert no_file.status_code == 422 and "file" in no_file.json()["fields"]
    wrong_entity = client.post(API, {"file": _file(b"a\n1\n", "a.csv"), "entity": "deal"})
    assert wrong_entity.status_code == 422 and "entity" in wrong_entity.json()["fields"]
    json_body = client.post(API, {"entity": "contact"}, content_type="application/json")
    assert json_body.status_code == 422


def test_unknown_job_is_404(iran, api_client_for):
    client = api_client_for(iran.owner)
    for response in (
        client.get(f"{API}/999"),
        _patch(client, 999, {"policy": "skip"}),
        client.post(f"{API}/999/start"),
        client.post(f"{API}/999/cancel"),
        client.get(f"{API}/999/problems"),
    ):
        assert response.status_code == 404 and response.json()["code"] == "not_found"


# ------------------------------------------------------------------------------------------ idempotency


def test_idempotency_key_replays_an_upload(iran, api_client_for):
    client = api_client_for(iran.owner)
    first = _upload(client, HTTP_IDEMPOTENCY_KEY="upload-1")
    again = _upload(client, HTTP_IDEMPOTENCY_KEY="upload-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json()["id"] == first.json()["id"]
    assert ImportJob.objects.count() == 1
    other = client.post(
        API,
        {"file": _file(b"Email\na@example.com\n", "a.csv"), "entity": "contact"},
        HTTP_IDEMPOTENCY_KEY="upload-1",
    )
    assert other.status_code == 422 and other.json()["code"] == "idempotency_mismatch"


def test_idempotency_key_on_an_upload_larger_than_other_bodies(iran, api_client_for, settings):
    """An upload may be far larger than a JSON body (DATA_UPLOAD_MAX_MEMORY_SIZE); its key still works."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    content = b"First name,Email\n" + b"".join(b"P%d,p%d@example.com\n" % (i, i) for i in range(2000))
    client = api_client_for(iran.owner)
    responses = [
        client.post(API, {"file": _file(content, "big.csv"), "entity": "contact"}, HTTP_IDEMPOTENCY_KEY="big")
        for _ in range(2)
    ]
    assert [r.status_code for r in responses] == [201, 201], responses[0].content
    assert responses[1]["Idempotent-Replayed"] == "true"
    assert ImportJob.objects.count() == 1 and IdempotencyRecord.objects.count() == 1
