"""Property-based run of the whole API against its own OpenAPI schema (schemathesis, in-process WSGI).

Every operation gets schema-valid and schema-invalid requests, sent as a workspace owner, and must never
answer 5xx, nor a status, content type or body its schema does not declare. The run is deterministic
(fixed seed, derandomized Hypothesis, no example database) and bounded so it stays well under a minute.

Database access is `transactional_db`, not `db`: requests go through the real WSGI handler, which closes
"old" connections at the start and end of every request; inside the `db` fixture's wrapping transaction that
would end the test's transaction. With real commits, on-commit work (invite mail, event dispatch) runs too.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from peyvand.accounts import services
from peyvand.accounts.tests.factories import make_workspace
from peyvand.config.wsgi import application

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20250601,
        "cache": {"enabled": False},
        "generation": {"max-examples": 6, "deterministic": True, "database": "none"},
    }
)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=CONFIG)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def owner_headers(transactional_db):
    """A bearer token of the owner of a populated workspace (teams, a custom role, an invite, a token)."""
    _workspace, owner = make_workspace("Fuzz")
    team = services.team_create(actor=owner, name="North")
    role = services.role_create(actor=owner, name="Custom", permissions={"team": {"view": "all"}})
    services.invite_create(actor=owner, email="invitee@example.com", role=role, teams=[team])
    _token, raw = services.token_create(actor=owner, name="fuzz")
    return {"Authorization": f"Bearer {raw}"}


def test_the_fuzzing_client_is_authenticated(owner_headers):
    """Guard against a silently anonymous run (every call 401 would pass the checks below)."""
    case = schema["/api/v1/me"]["GET"].Case()
    response = case.call(headers=owner_headers)  # the same transport as the run below
    assert response.status_code == 200
    assert response.json()["workspace"]["name"] == "Fuzz"
    assert case.call().status_code == 401


@schema.parametrize()
@settings(deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
def test_api_honours_its_schema(case, owner_headers):
    case.call_and_validate(headers=owner_headers, checks=CHECKS)
