"""The company type-ahead picker: the options endpoint (search, row scope, field rules, workspaces,
permissions), the forms accepting any company the member sees and refusing the rest, the parent picker
leaving out a company's own tree, and the pages rendering one option instead of hundreds."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.db import connection
from django.shortcuts import resolve_url
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from peyvand.accounts import services as account_services
from peyvand.accounts.models import Membership
from peyvand.contacts import services
from peyvand.contacts.models import Company, Contact
from peyvand.contacts.tests.factories import make_company, make_contact

pytestmark = pytest.mark.django_db

OPTIONS = "contacts:company_options"
UNKNOWN = "This company does not exist or you may not see it."


def _many(member: Membership, count: int, prefix: str = "Firm") -> list[Company]:
    """`count` companies named `Firm 0000`… in name order (derived columns as the services write them)."""
    companies = []
    for index in range(count):
        company = Company(workspace_id=member.workspace_id, owner=member, name=f"{prefix} {index:04d}")
        services.company_derive(company, language=member.workspace.language, defs=[])
        companies.append(company)
    Company.objects.bulk_create(companies)
    return list(Company.objects.filter(name__startswith=f"{prefix} ").order_by("sort_key", "id"))


def _options(client: Client, **params: object) -> list[dict[str, object]]:
    response = client.get(reverse(OPTIONS), params)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/json"
    return response.json()


def _labels(client: Client, **params: object) -> list[object]:
    return [item["label"] for item in _options(client, **params)]


def _scope(world, member: Membership, entity: str, scope: str) -> None:
    role = member.role
    permissions = {**role.permissions, entity: {**role.permissions[entity], "view": scope}}
    account_services.role_update(actor=world.owner, role=role, changes={"permissions": permissions})
    member.refresh_from_db()


def _select(html: str, name: str) -> str:
    match = re.search(rf'<select[^>]*name="{name}"[^>]*>.*?</select>', html, re.S)
    assert match, f"no select named {name}"
    return match.group(0)


# ----------------------------------------------------------------------------- the endpoint


def test_matches_persian_thai_and_latin_fragments(world, web_client_for):
    make_company(world.owner, "Parsian Trading", domain="parsian.example")
    make_company(world.owner, "پارسیان تجارت")
    make_company(world.owner, "บริษัทสยามพัฒนา จำกัด")
    make_company(world.owner, "Unrelated Ltd")
    client = web_client_for(world.owner)
    assert _labels(client, q="TRAD") == ["Parsian Trading"]
    assert _labels(client, q="parsian.exam") == ["Parsian Trading"]  # the list's search: domain too
    assert _labels(client, q="پارسيان") == ["پارسیان تجارت"]  # Arabic yeh finds the Persian one
    assert _labels(client, q="پارسیانتجارت") == ["پارسیان تجارت"]  # spaces do not matter
    assert _labels(client, q="สยาม") == ["บริษัทสยามพัฒนา จำกัด"]  # Thai: inside a word, no spaces
    assert _labels(client, q="nothing like it") == []
    items = _options(client, q="unrelated")
    assert items == [{"id": Company.objects.get(name="Unrelated Ltd").pk, "label": "Unrelated Ltd"}]


def test_names_starting_with_the_query_come_first_then_name_order(world, web_client_for):
    for name in ("Zeta Acme", "Ab Acme", "Acme Zulu", "Acme Alpha"):
        make_company(world.owner, name)
    assert _labels(web_client_for(world.owner), q="acme") == [
        "Acme Alpha",
        "Acme Zulu",
        "Ab Acme",
        "Zeta Acme",
    ]


def test_twenty_at_most_and_an_empty_query_gives_the_first_by_name(world, web_client_for):
    firms = _many(world.owner, 25)
    client = web_client_for(world.owner)
    assert _labels(client) == [c.name for c in firms[:20]]
    assert _labels(client, q="  ") == [c.name for c in firms[:20]]
    assert _labels(client, q="firm 002") == ["Firm 0020", "Firm 0021", "Firm 0022", "Firm 0023", "Firm 0024"]
    assert len(_labels(client, q="firm")) == 20


def test_query_count_does_not_grow_with_matches(world, web_client_for):
    client = web_client_for(world.owner)
    _many(world.owner, 2, prefix="Few")
    _many(world.owner, 30, prefix="Lots")
    counts = []
    for query in ("few", "lots", ""):
        with CaptureQueriesContext(connection) as queries:
            _options(client, q=query)
        counts.append(len(queries))
    # A search looks for names starting with it, then (if fewer than 20) for the rest; never per row.
    assert counts[0] == counts[2] + 1 and counts[1] == counts[2]


@pytest.mark.parametrize(
    "query", ["a\x00b", "acme\x7f", chr(0xD7FF), "acme" + chr(0xD7FF), "%", "_", "\\", "x" * 5000, "۰۹۱۲"]
)
def test_odd_input_is_answered_not_a_server_error(world, web_client_for, query):
    make_company(world.owner, "Acme 100%_\\ Ltd")
    response = web_client_for(world.owner).get(
        reverse(OPTIONS), {"q": query, "exclude_tree_of": "9" * 18 if query == "%" else "-1"}
    )
    assert response.status_code == 200
    labels = [item["label"] for item in response.json()]
    # LIKE's wildcards are plain text; a control character is a space
    assert labels == (["Acme 100%_\\ Ltd"] if query in ("%", "_", "\\", "acme\x7f") else [])


def test_a_rep_limited_to_own_companies_sees_only_those(world, web_client_for):
    _scope(world, world.rep, "company", "own")
    make_company(world.owner, "Parsian Mine", owner=world.rep)
    make_company(world.owner, "Parsian Theirs", owner=world.teammate)
    make_company(world.owner, "Parsian Owner's")
    assert _labels(web_client_for(world.rep), q="parsian") == ["Parsian Mine"]
    assert _labels(web_client_for(world.rep)) == ["Parsian Mine"]
    assert len(_labels(web_client_for(world.owner), q="parsian")) == 3


def test_another_workspace_never_shows(world, web_client_for):
    make_company(world.other_owner, "Parsian Elsewhere")
    mine = make_company(world.owner, "Parsian Here")
    assert _options(web_client_for(world.owner), q="parsian") == [{"id": mine.pk, "label": "Parsian Here"}]
    assert _labels(web_client_for(world.owner)) == ["Parsian Here"]


def test_anonymous_is_sent_to_sign_in_and_no_company_view_is_refused(world, web_client_for):
    make_company(world.owner, "Parsian Trading")
    anonymous = Client().get(reverse(OPTIONS), {"q": "parsian"})
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(resolve_url(settings.LOGIN_URL))
    role = world.read_only.role
    account_services.role_update(
        actor=world.owner, role=role, changes={"permissions": {**role.permissions, "company": {}}}
    )
    refused = web_client_for(world.read_only).get(reverse(OPTIONS), {"q": "parsian"})
    assert refused.status_code == 403 and b"Parsian" not in refused.content
    assert web_client_for(world.owner).post(reverse(OPTIONS)).status_code == 405


def test_a_hidden_name_is_neither_shown_nor_searched(world, web_client_for):
    company = make_company(world.owner, "Parsian Trading", domain="parsian.example")
    role = world.rep.role
    role.field_rules = {"company": {"name": "hidden"}}
    role.save()
    client = web_client_for(world.rep)
    assert _options(client, q="trading") == []
    assert _options(client, q="parsian.example") == [{"id": company.pk, "label": f"#{company.pk}"}]
    assert b"Parsian" not in client.get(reverse(OPTIONS)).content


def test_the_parent_picker_leaves_out_the_company_and_everything_below_it(world, web_client_for):
    top = make_company(world.owner, "Group Top")
    child = make_company(world.owner, "Group Child", parent=top)
    make_company(world.owner, "Group Grandchild", parent=child)
    make_company(world.owner, "Group Sibling")
    client = web_client_for(world.owner)
    assert _labels(client, q="group", exclude_tree_of=top.pk) == ["Group Sibling"]
    assert _labels(client, q="group", exclude_tree_of=child.pk) == ["Group Sibling", "Group Top"]
    assert len(_labels(client, q="group", exclude_tree_of="nonsense")) == 4
    html = client.get(reverse("contacts:company_edit", args=[child.pk])).content.decode()
    assert f'data-picker-url="{reverse(OPTIONS)}?exclude_tree_of={child.pk}"' in html


def test_the_tree_is_left_out_only_for_someone_who_may_set_the_parent(world, web_client_for):
    """Otherwise the companies dropping out would tell a rep how companies they may not change (or whose
    parent their role hides) are grouped."""
    top = make_company(world.owner, "Group Top")
    make_company(world.owner, "Group Child", parent=top)
    make_company(world.owner, "Group Sibling")
    client = web_client_for(world.read_only)  # may view companies, not change them
    assert len(_labels(client, q="group", exclude_tree_of=top.pk)) == 3
    role = world.admin.role
    role.field_rules = {"company": {"parent": "hidden"}}
    role.save()
    assert len(_labels(web_client_for(world.admin), q="group", exclude_tree_of=top.pk)) == 3
    assert _labels(web_client_for(world.owner), q="group", exclude_tree_of=top.pk) == ["Group Sibling"]


# ----------------------------------------------------------------------------- forms


def test_the_contact_form_takes_any_company_the_member_sees(world, web_client_for):
    firms = _many(world.owner, 600)
    six_hundredth = firms[599]
    client = web_client_for(world.owner)
    form = client.get(reverse("contacts:contact_new")).content.decode()
    assert _select(form, "company").count("<option") == 1
    response = client.post(
        reverse("contacts:contact_new"), {"first_name": "Nima", "company": six_hundredth.pk}
    )
    assert response.status_code == 302, response.content[:2000]
    contact = Contact.objects.get(first_name="Nima")
    assert contact.company == six_hundredth
    page = client.get(reverse("contacts:contact_detail", args=[contact.pk])).content.decode()
    assert "Firm 0599" in page
    edit = client.get(reverse("contacts:contact_edit", args=[contact.pk])).content.decode()
    select = _select(edit, "company")
    assert select.count("<option") == 2
    assert re.search(rf'<option value="{six_hundredth.pk}" selected>Firm 0599</option>', select)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("other_workspace", UNKNOWN),
        ("out_of_scope", UNKNOWN),
        ("999999999", UNKNOWN),
        ("abc", "Choose a company from the suggestions."),
        ("9" * 30, "Choose a company from the suggestions."),
        ("-3", "Choose a company from the suggestions."),
    ],
)
def test_the_contact_form_refuses_a_company_out_of_reach(world, web_client_for, value, message):
    _scope(world, world.rep, "company", "own")
    targets = {
        "other_workspace": make_company(world.other_owner, "Elsewhere Ltd").pk,
        "out_of_scope": make_company(world.owner, "Not Mine Ltd").pk,
    }
    before = Contact.all_objects.count()
    response = web_client_for(world.rep).post(
        reverse("contacts:contact_new"), {"first_name": "Nima", "company": targets.get(value, value)}
    )
    assert response.status_code == 422
    assert response.context["form"].errors["company"] == [message]
    html = response.content.decode()
    assert 'id="id_company_error"' in html and "Elsewhere" not in html and "Not Mine" not in html
    assert Contact.all_objects.count() == before


def test_a_current_company_out_of_sight_is_kept_but_not_named(world, web_client_for):
    _scope(world, world.rep, "company", "own")
    theirs = make_company(world.owner, "Secret Holdings")
    contact = make_contact(world.owner, "Sara", "Ahmadi", owner=world.rep, company=theirs)
    client = web_client_for(world.rep)
    html = client.get(reverse("contacts:contact_edit", args=[contact.pk])).content.decode()
    assert "Secret Holdings" not in html
    assert re.search(rf'<option value="{theirs.pk}" selected>A company you cannot see</option>', html)
    response = client.post(
        reverse("contacts:contact_edit", args=[contact.pk]),
        {
            "first_name": "Sarah",
            "last_name": "Ahmadi",
            "company": theirs.pk,
            "expected_version": contact.version,
        },
    )
    assert response.status_code == 302, response.content[:2000]
    contact.refresh_from_db()
    assert contact.first_name == "Sarah" and contact.company == theirs


def test_the_company_form_parent_takes_any_company_and_refuses_its_own_tree(world, web_client_for):
    firms = _many(world.owner, 600)
    top = make_company(world.owner, "Group Top")
    child = make_company(world.owner, "Group Child", parent=top)
    client = web_client_for(world.owner)
    assert (
        _select(client.get(reverse("contacts:company_new")).content.decode(), "parent").count("<option") == 1
    )

    def save_parent(parent: object) -> object:
        top.refresh_from_db()
        return client.post(
            reverse("contacts:company_edit", args=[top.pk]),
            {"name": "Group Top", "parent": parent, "expected_version": top.version},
        )

    refused = save_parent(child.pk)
    assert refused.status_code == 422
    assert refused.context["form"].errors["parent"] == ["A company cannot be its own parent."]
    assert save_parent(make_company(world.other_owner, "Elsewhere").pk).status_code == 422
    assert save_parent(firms[599].pk).status_code == 302
    top.refresh_from_db()
    assert top.parent == firms[599]


# ----------------------------------------------------------------------------- the contact list


def test_the_list_filters_by_company_and_renders_no_option_list(world, web_client_for):
    firms = _many(world.owner, 600)
    make_contact(world.owner, "Reza", "Karimi", company=firms[599])
    make_contact(world.owner, "Nima", "Elsewhere", company=firms[0])
    client = web_client_for(world.owner)
    html = client.get(reverse("contacts:contact_list")).content.decode()
    select = _select(html, "company")
    assert select.count("<option") == 1 and ">Any</option>" in select
    assert f'data-picker-url="{reverse(OPTIONS)}"' in select
    assert html.count("<option") < 50  # was 500+ company options on every list page
    assert "Firm 0123" not in html

    filtered = client.get(reverse("contacts:contact_list"), {"company": firms[599].pk})
    assert filtered.status_code == 200
    html = filtered.content.decode()
    assert "Reza Karimi" in html and "Nima Elsewhere" not in html
    select = _select(html, "company")
    assert select.count("<option") == 2
    assert re.search(rf'<option value="{firms[599].pk}" selected>Firm 0599</option>', select)


def test_the_list_does_not_name_a_filtered_company_out_of_sight(world, web_client_for):
    _scope(world, world.rep, "company", "own")
    theirs = make_company(world.owner, "Secret Holdings")
    html = web_client_for(world.rep).get(reverse("contacts:contact_list"), {"company": theirs.pk}).content
    assert b"Secret Holdings" not in html
    assert _select(html.decode(), "company").count("<option") == 1
