"""The committed docs/openapi.json is the API's contract: it must equal the schema the code generates."""

from __future__ import annotations

import difflib
import importlib.util
import json
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR).parent
COMMITTED = ROOT / "docs" / "openapi.json"
FIX = "docs/openapi.json is out of date: run `python scripts/export_openapi.py` and commit the result."


def _render() -> str:
    """The schema exactly as scripts/export_openapi.py writes it."""
    spec = importlib.util.spec_from_file_location("export_openapi", ROOT / "scripts" / "export_openapi.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.render()


def test_committed_schema_matches_the_code():
    assert COMMITTED.exists(), FIX
    generated = _render()
    committed = COMMITTED.read_text(encoding="utf-8")
    if generated != committed:
        diff = "".join(
            list(
                difflib.unified_diff(
                    committed.splitlines(keepends=True),
                    generated.splitlines(keepends=True),
                    "docs/openapi.json (committed)",
                    "generated",
                    n=2,
                )
            )[:60]
        )
        raise AssertionError(f"{FIX}\n{diff}")


def test_served_schema_is_the_committed_one(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json() == json.loads(COMMITTED.read_text(encoding="utf-8")), FIX


def test_schema_documents_the_error_envelope_and_auth():
    schema = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert set(schema["components"]["securitySchemes"]) == {"TokenAuth", "SessionAuth"}
    assert set(schema["components"]["schemas"]["ErrorOut"]["properties"]) == {"code", "message", "fields"}
    for path, item in schema["paths"].items():
        assert path.startswith("/api/v1/")
        for method, operation in item.items():
            assert "401" in operation["responses"], (method, path)
            if method != "get":
                assert {"403", "404", "409", "412", "413", "422"} <= set(operation["responses"]), (
                    method,
                    path,
                )
