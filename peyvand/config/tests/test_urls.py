def test_unknown_api_path_is_an_envelope(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "No such API endpoint.", "fields": {}}


def test_health_check(client):
    assert client.get("/healthz").content == b"ok"
