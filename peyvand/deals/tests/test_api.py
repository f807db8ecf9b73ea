"""The deals API: its contract (rounding, If-Match, stage rules, won/lost, field rules on output) and an
authorization matrix over every deals operation × owner / admin / manager / rep / support / read-only / a
member of another workspace / anonymous. A refused call leaves the database exactly as it was."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from peyvand.accounts import services as account_services
from peyvand.accounts.tests.test_api_matrix import (
    ACME_ACTORS,
    api_operations,
    assert_envelope,
    assert_matrix_complete,
    check_matrix_case,
    expect,
    send,
)
from peyvand.accounts.tests.test_api_matrix import db_state as accounts_state
from peyvand.contacts.tests.factories import make_company
from peyvand.core import recycle
from peyvand.deals import services
from peyvand.deals.models import Deal, DealStageEntry, LostReason, Pipeline, Stage
from peyvand.deals.tests.factories import default_pipeline, make_deal, stages_of

API = "/api/v1"
pytestmark = pytest.mark.django_db


def db_state() -> dict[str, Any]:
    return accounts_state() | {
        "pipelines": list(Pipeline.all_objects.order_by("pk").values()),
        "stages": list(Stage.objects.order_by("pk").values()),
        "reasons": list(LostReason.objects.order_by("pk").values()),
        "deals": list(Deal.all_objects.order_by("pk").values()),
        "entries": list(DealStageEntry.objects.order_by("pk").values()),
    }


def assert_unchanged(before: dict[str, Any]) -> None:
    after = db_state()
    changed = [name for name in before if before[name] != after[name]]
    assert not changed, f"a refused request changed: {changed}"


@pytest.fixture
def dw(world):
    """`world` with the default pipeline in both workspaces and deals owned by the rep (`rep_deal`), the rep's
    teammate (`mate_deal`) and a rep of another team (`far_deal`); `*_binned` deals are in the recycle bin."""
    w = world
    w.pipeline = default_pipeline(w.owner)
    w.stages = stages_of(w.pipeline)
    w.reason = LostReason.objects.filter(workspace=w.workspace).first()
    for prefix, owner in (("rep", w.rep), ("mate", w.teammate), ("far", w.outsider_rep)):
        setattr(w, f"{prefix}_deal", make_deal(w.owner, f"{prefix} deal", owner=owner, amount="100"))
        binned = make_deal(w.owner, f"{prefix} binned", owner=owner)
        recycle.soft_delete(actor=w.owner, record=binned)
        setattr(w, f"{prefix}_binned", binned)
    w.other_deal = make_deal(w.other_owner, "Theirs")
    return w


Case = tuple[str, Callable[[Any], str], Callable[[Any], Any] | None]


def _deal_cases(who: str) -> dict[str, Case]:
    def deal(w: Any) -> Deal:
        return getattr(w, f"{who}_deal")

    return {
        f"deals.get_{who}": ("get", lambda w: f"{API}/deals/{deal(w).pk}", None),
        f"deals.patch_{who}": ("patch", lambda w: f"{API}/deals/{deal(w).pk}", lambda w: {"amount": "250"}),
        f"deals.stage_{who}": (
            "post",
            lambda w: f"{API}/deals/{deal(w).pk}/stage",
            lambda w: {"stage_id": w.stages[2].pk},
        ),
        f"deals.win_{who}": ("post", lambda w: f"{API}/deals/{deal(w).pk}/win", None),
        f"deals.lose_{who}": (
            "post",
            lambda w: f"{API}/deals/{deal(w).pk}/lose",
            lambda w: {"lost_reason_id": w.reason.pk, "note": "Too dear"},
        ),
        f"deals.delete_{who}": ("delete", lambda w: f"{API}/deals/{deal(w).pk}", None),
        f"deals.restore_{who}": (
            "post",
            lambda w: f"{API}/deals/{getattr(w, f'{who}_binned').pk}/restore",
            None,
        ),
    }


CASES: dict[str, Case] = {
    "pipelines.list": ("get", lambda w: f"{API}/pipelines", None),
    "pipelines.create": (
        "post",
        lambda w: f"{API}/pipelines",
        lambda w: {
            "name": "Renewals",
            "stages": [{"name": n, "probability": p} for n, p in (("A", 10), ("B", 50), ("C", 90))],
        },
    ),
    "pipelines.get": ("get", lambda w: f"{API}/pipelines/{w.pipeline.pk}", None),
    "pipelines.patch": (
        "patch",
        lambda w: f"{API}/pipelines/{w.pipeline.pk}",
        lambda w: {"rotting_days": 30},
    ),
    "pipelines.stages": (
        "put",
        lambda w: f"{API}/pipelines/{w.pipeline.pk}/stages",
        lambda w: {
            "stages": [{"id": s.pk, "name": s.label, "probability": s.probability} for s in w.stages]
            + [{"name": "Contract", "probability": 95}]
        },
    ),
    "lost_reasons.list": ("get", lambda w: f"{API}/lost-reasons", None),
    "lost_reasons.create": ("post", lambda w: f"{API}/lost-reasons", lambda w: {"name": "Merged company"}),
    "lost_reasons.patch": (
        "patch",
        lambda w: f"{API}/lost-reasons/{w.reason.pk}",
        lambda w: {"is_active": False},
    ),
    "deals.list": ("get", lambda w: f"{API}/deals", None),
    "deals.create": ("post", lambda w: f"{API}/deals", lambda w: {"title": "New deal", "amount": "10"}),
    "deals.reopen_rep": ("post", lambda w: f"{API}/deals/{w.rep_deal.pk}/reopen", None),
    **_deal_cases("rep"),
    **_deal_cases("mate"),
    **_deal_cases("far"),
}


def table(ok: int, *allowed: str, refused: int = 403, other: int = 404) -> dict[str, int]:
    """`ok` for the Acme actors named (owner and admin always), `refused` for the rest."""
    who = {"owner", "admin", *allowed}
    return expect(**{a: ok if a in who else refused for a in ACME_ACTORS}, other=other)


def same(status: int, other: int) -> dict[str, int]:
    return expect(**dict.fromkeys(ACME_ACTORS, status), other=other)


# Built-in grants on deals follow contacts: everyone views all; everyone but read-only creates; change is own
# for reps and support, team for the manager (team North: the rep and the teammate); delete is own for reps,
# team for the manager, none for support. Pipelines and lost reasons: owner, admin and the manager edit.
def _deal_rows(who: str, changers: tuple[str, ...], deleters: tuple[str, ...]) -> dict[str, dict[str, int]]:
    return {
        f"deals.get_{who}": same(200, 404),
        f"deals.patch_{who}": table(200, *changers),
        f"deals.stage_{who}": table(200, *changers),
        f"deals.win_{who}": table(200, *changers),
        f"deals.lose_{who}": table(200, *changers),
        f"deals.delete_{who}": table(204, *deleters),
        f"deals.restore_{who}": table(200, *deleters),
    }


MATRIX: dict[str, dict[str, int]] = {
    "pipelines.list": same(200, 200),
    "pipelines.create": table(201, "manager", other=201),
    "pipelines.get": same(200, 404),
    "pipelines.patch": table(200, "manager"),
    "pipelines.stages": table(200, "manager"),
    "lost_reasons.list": same(200, 200),
    "lost_reasons.create": table(201, "manager", other=201),
    "lost_reasons.patch": table(200, "manager"),
    "deals.list": same(200, 200),
    "deals.create": table(201, "manager", "rep", "support", other=201),
    "deals.reopen_rep": table(200, "manager", "rep"),  # an open deal: a no-op for those who may change it
    **_deal_rows("rep", ("manager", "rep"), ("manager", "rep")),
    **_deal_rows("mate", ("manager",), ("manager",)),
    **_deal_rows("far", (), ()),
}


def test_matrix_covers_every_deals_operation(dw):
    assert_matrix_complete(api_operations(lambda tags: "deals" in tags), CASES, MATRIX, dw)


@pytest.mark.parametrize("case", sorted(MATRIX))
def test_permission_matrix(dw, api_client_for, case):
    # Reopening an open deal changes nothing, so it writes no audit entry.
    check_matrix_case(
        dw,
        api_client_for,
        CASES[case],
        MATRIX[case],
        state=db_state,
        audited=not case.startswith("deals.reopen"),
    )


def test_bad_credentials_are_401_everywhere(dw, client):
    before = db_state()
    for case, (method, path, body) in CASES.items():
        response = send(client, method, path(dw), body(dw) if body else None)
        assert response.status_code == 401, case
    assert_unchanged(before)


# ---------------------------------------------------------------- the contract


def test_create_rounds_to_the_currency_and_shows_the_pipeline_and_stage(dw, api_client_for):
    client = api_client_for(dw.rep)
    response = send(
        client, "post", f"{API}/deals", {"title": "  Twenty seats ", "amount": "1999.999", "currency": "usd"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["title"] == "Twenty seats" and body["amount"] == "2000.00" and body["currency"] == "USD"
    assert body["stage"] == {"id": dw.stages[0].pk, "name": "Qualified"} and body["status"] == "open"
    assert body["owner"]["id"] == dw.rep.pk and body["version"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "X", "amount": "-1"}, "amount"),
        ({"title": "X", "currency": "ZZZ"}, "currency"),
        ({"title": ""}, "title"),
        ({"title": "X", "stage_id": 999999}, "stage_id"),
        ({"title": "X", "company_id": 999999}, "company_id"),
        ({"title": "X", "surprise": 1}, "surprise"),
    ],
)
def test_bad_deal_input_is_422_naming_the_field(dw, api_client_for, body, field):
    client = api_client_for(dw.owner)
    before = db_state()
    response = send(client, "post", f"{API}/deals", body)
    assert response.status_code == 422, response.content
    assert field in assert_envelope(response, "validation_error")["fields"]
    assert_unchanged(before)


def test_a_stage_of_another_pipeline_is_422(dw, api_client_for):
    other = services.pipeline_create(
        actor=dw.owner, name="Partners", stages=[{"name": n, "probability": 10} for n in "ABC"]
    )
    client = api_client_for(dw.owner)
    response = send(
        client, "post", f"{API}/deals/{dw.rep_deal.pk}/stage", {"stage_id": stages_of(other)[0].pk}
    )
    assert response.status_code == 422 and "stage_id" in response.json()["fields"]
    response = send(
        client,
        "post",
        f"{API}/deals",
        {"title": "X", "pipeline_id": dw.pipeline.pk, "stage_id": stages_of(other)[0].pk},
    )
    assert response.status_code == 422


def test_moves_honour_if_match_and_the_loser_of_a_race_gets_412(dw, api_client_for):
    client = api_client_for(dw.owner)
    url = f"{API}/deals/{dw.rep_deal.pk}/stage"
    first = send(client, "post", url, {"stage_id": dw.stages[1].pk}, HTTP_IF_MATCH="1")
    assert first.status_code == 200 and first.json()["version"] == 2
    second = send(client, "post", url, {"stage_id": dw.stages[3].pk}, HTTP_IF_MATCH="1")
    assert second.status_code == 412
    assert_envelope(second)
    dw.rep_deal.refresh_from_db()
    assert dw.rep_deal.stage == dw.stages[1]
    again = send(client, "post", url, {"stage_id": dw.stages[1].pk}, HTTP_IF_MATCH="2")
    assert again.status_code == 200 and again.json()["version"] == 2  # already there: nothing to do


def test_win_lose_and_reopen(dw, api_client_for):
    client = api_client_for(dw.owner)
    base = f"{API}/deals/{dw.rep_deal.pk}"
    assert send(client, "post", f"{base}/lose", {}).status_code == 422
    lost = send(client, "post", f"{base}/lose", {"lost_reason_id": dw.reason.pk, "note": "Budget cut"})
    assert lost.status_code == 200
    assert lost.json()["status"] == "lost" and lost.json()["lost_reason"]["id"] == dw.reason.pk
    assert send(client, "post", f"{base}/win").status_code == 409  # closed: reopen first
    assert send(client, "post", f"{base}/stage", {"stage_id": dw.stages[2].pk}).status_code == 409
    reopened = send(client, "post", f"{base}/reopen")
    assert reopened.json()["status"] == "open" and reopened.json()["lost_reason"] is None
    won = send(client, "post", f"{base}/win")
    assert won.json()["status"] == "won" and won.json()["closed_at"]


def test_list_filters_and_orders(dw, api_client_for):
    client = api_client_for(dw.owner)
    services.deal_win(actor=dw.owner, deal=dw.mate_deal)
    titles = [
        d["title"] for d in send(client, "get", f"{API}/deals?status=open&ordering=title").json()["items"]
    ]
    assert titles == ["far deal", "rep deal"]
    mine = send(client, "get", f"{API}/deals?owner_id={dw.rep.pk}").json()["items"]
    assert [d["id"] for d in mine] == [dw.rep_deal.pk]
    for bad in ("status=maybe", "ordering=random"):
        response = send(client, "get", f"{API}/deals?{bad}")
        assert response.status_code == 422, bad
    pages, cursor = [], None
    while True:
        body = send(client, "get", f"{API}/deals?limit=1" + (f"&cursor={cursor}" if cursor else "")).json()
        pages += [d["id"] for d in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert sorted(pages) == sorted([dw.rep_deal.pk, dw.mate_deal.pk, dw.far_deal.pk])


def test_hidden_fields_are_null_and_a_company_the_reader_may_not_see_is_left_out(dw, api_client_for):
    company = make_company(dw.owner, "Secret Co", owner=dw.owner)
    services.deal_update(actor=dw.owner, deal=dw.rep_deal, changes={"company": company})
    role = dw.rep.role
    account_services.role_update(
        actor=dw.owner,
        role=role,
        changes={
            "field_rules": {"deal": {"amount": "hidden"}},
            "permissions": {**role.permissions, "company": {**role.permissions["company"], "view": "own"}},
        },
    )
    body = send(api_client_for(dw.rep), "get", f"{API}/deals/{dw.rep_deal.pk}").json()
    assert body["amount"] is None and body["company"] is None and body["title"] == "rep deal"
    owner_view = send(api_client_for(dw.owner), "get", f"{API}/deals/{dw.rep_deal.pk}").json()
    assert owner_view["amount"] == "100.00" and owner_view["company"]["name"] == "Secret Co"


def test_pipelines_list_their_stages_with_probabilities(dw, api_client_for):
    body = send(api_client_for(dw.rep), "get", f"{API}/pipelines").json()
    (pipeline,) = body["items"]
    assert pipeline["label"] == "Sales"
    assert [(s["label"], s["probability"]) for s in pipeline["stages"]][:2] == [
        ("Qualified", 10),
        ("Contact made", 20),
    ]
    bad = send(
        api_client_for(dw.owner), "post", f"{API}/pipelines", {"name": "Tiny", "stages": [{"name": "Only"}]}
    )
    assert bad.status_code == 422 and "stages" in bad.json()["fields"]


@pytest.mark.parametrize("ordering", ["-created", "created", "title", "-title", "amount", "-amount"])
def test_every_ordering_pages_through_every_deal_once(dw, api_client_for, ordering):
    client = api_client_for(dw.owner)
    make_deal(dw.owner, "rep deal", amount="100")  # ties on title and amount are broken by id
    seen, cursor = [], None
    while True:
        url = f"{API}/deals?limit=1&ordering={ordering}" + (f"&cursor={cursor}" if cursor else "")
        response = send(client, "get", url)
        assert response.status_code == 200, response.content
        seen += [d["id"] for d in response.json()["items"]]
        cursor = response.json()["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(Deal.objects.filter(workspace=dw.workspace).values_list("pk", flat=True))


def test_a_stage_list_naming_a_stage_twice_is_refused_whole(dw, api_client_for):
    client = api_client_for(dw.owner)
    before = db_state()
    same_stage = [{"id": dw.stages[0].pk, "name": "X", "probability": 5}] * 3
    response = send(client, "put", f"{API}/pipelines/{dw.pipeline.pk}/stages", {"stages": same_stage})
    assert response.status_code == 422 and "stages" in response.json()["fields"]
    assert_unchanged(before)


def test_a_member_who_sees_no_deals_sees_no_pipeline_and_creates_none(world, api_client_for):
    role = world.support.role
    role.permissions = {**role.permissions, "deal": {}}
    role.save(update_fields=["permissions"])
    client = api_client_for(world.support)
    for path in ("pipelines", "lost-reasons", "deals"):
        assert send(client, "get", f"{API}/{path}").json()["items"] == []
    assert not Pipeline.all_objects.exists() and not LostReason.objects.exists()


def test_filters_and_orderings_on_hidden_fields_are_refused(dw, api_client_for):
    account_services.role_update(
        actor=dw.owner,
        role=dw.rep.role,
        changes={"field_rules": {"deal": {"owner": "hidden", "stage": "hidden", "amount": "hidden"}}},
    )
    client = api_client_for(dw.rep)
    for query, field in (
        (f"owner_id={dw.rep.pk}", "owner_id"),
        (f"stage_id={dw.stages[0].pk}", "stage_id"),
        ("status=won", "status"),
        ("ordering=-amount", "ordering"),
    ):
        response = send(client, "get", f"{API}/deals?{query}")
        assert response.status_code == 422 and field in response.json()["fields"], query
    body = send(client, "get", f"{API}/deals/{dw.rep_deal.pk}").json()
    assert body["stage"] is None and body["stage_entered_at"] is None and body["owner"] is None


def test_field_rules_on_create(dw, api_client_for):
    account_services.role_update(
        actor=dw.owner,
        role=dw.rep.role,
        changes={"field_rules": {"deal": {"stage": "read_only", "owner": "read_only"}}},
    )
    client = api_client_for(dw.rep)
    refused = send(client, "post", f"{API}/deals", {"title": "X", "stage_id": dw.stages[3].pk})
    assert refused.status_code == 403 and "stage" in refused.json()["fields"]
    mine = send(client, "post", f"{API}/deals", {"title": "Y", "owner_id": dw.rep.pk})
    assert mine.status_code == 201 and mine.json()["stage"]["id"] == dw.stages[0].pk


def test_lost_reasons_honour_if_match_and_a_retired_one_cannot_be_chosen(dw, api_client_for):
    client = api_client_for(dw.owner)
    url = f"{API}/lost-reasons/{dw.reason.pk}"
    assert send(client, "patch", url, {"is_active": False}, HTTP_IF_MATCH="9").status_code == 412
    assert send(client, "patch", url, {"is_active": False}, HTTP_IF_MATCH="1").status_code == 200
    response = send(client, "post", f"{API}/deals/{dw.rep_deal.pk}/lose", {"lost_reason_id": dw.reason.pk})
    assert response.status_code == 422 and "lost_reason_id" in response.json()["fields"]
