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
        "generation": {"max-examples": 8, "deterministic": True, "database": "none"},
    }
)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=CONFIG)


@pytest.fixture
def owner_headers(transactional_db):
    _workspace, owner = make_workspace("Fuzz")
    _token, raw = services.token_create(actor=owner, name="fuzz")
    return {"Authorization": f"Bearer {raw}"}


@schema.parametrize()
@settings(deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_does_not_fail(case, owner_headers):
    r = case.call_and_validate(
        headers=owner_headers,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
    import atexit
    import collections

    global STATS
    try:
        STATS
    except NameError:
        STATS = collections.Counter()
        atexit.register(lambda: print(sorted(STATS.items())))
    STATS[(case.method, case.path, r.status_code)] += 1
