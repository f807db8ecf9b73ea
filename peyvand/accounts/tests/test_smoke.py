def test_me(world, api_client_for):
    response = api_client_for(world.rep).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["member"]["id"] == world.rep.pk
