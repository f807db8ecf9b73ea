"""Duplicates and merging in the browser: the possible-duplicates panel of the forms, the duplicates screen,
“Merge with…”, “Merge selected”, and the compare-and-merge screen (who may, hidden and read-only fields,
choices, undo through the recycle bin)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse

from peyvand.accounts import services as account_services
from peyvand.contacts import services
from peyvand.contacts.models import Company, Contact, Merge, Note
from peyvand.contacts.tests.factories import make_company, make_contact
from peyvand.core import customfields

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def dupes(world):
    """Acme (Iran) with two owner's contacts that are one person (a shares an e-mail with b), two contacts of
    the rep that share an e-mail, and a contact in the other workspace."""
    account_services.workspace_update(actor=world.owner, workspace=world.workspace, changes={"country": "IR"})
    world.owner.workspace.refresh_from_db()
    world.parsian = make_company(world.owner, "Parsian Trading", domain="parsian.example")
    world.a = make_contact(
        world.owner,
        "Sara",
        "Ahmadi",
        emails=["sara@parsian.example"],
        phones=["09121234567"],
        tags=["VIP"],
        company=world.parsian,
    )
    world.b = make_contact(
        world.owner,
        "Sara",
        "Ahmadi-Pour",
        emails=["sara.home@example.com", "SARA@parsian.example"],
        phones=["09351234567"],
        tags=["Newsletter"],
        job_title="Chief Financial Officer",
        birthday=datetime.date(1990, 5, 1),
    )
    services.note_create(actor=world.owner, contact=world.b, body="Met at the fair")
    world.r1 = make_contact(world.manager, "Reza", "One", owner=world.rep, emails=["reza@rep.example"])
    world.r2 = make_contact(world.manager, "Reza", "Two", owner=world.rep, emails=["Reza@rep.example"])
    world.other_contact = make_contact(
        world.other_owner, "Other", "Workspace", emails=["sara@parsian.example"]
    )
    return world


def _merge_url(*ids, survivor=None):
    url = reverse("contacts:contact_merge") + "?ids=" + ",".join(str(i) for i in ids)
    return url + (f"&survivor={survivor}" if survivor else "")


def _post_merge(client, survivor, others, **choices):
    ids = ",".join(str(pk) for pk in [survivor.pk, *(o.pk for o in others)])
    data = {"ids": ids, "survivor": survivor.pk}
    data.update({f"choice-{name}": pk for name, pk in choices.items()})
    return client.post(reverse("contacts:contact_merge"), data)


def _rules(member, rules):
    role = member.role
    role.field_rules = rules
    role.save()
    member.refresh_from_db()
    return member


# ----------------------------------------------------------------------------- who may merge


@pytest.mark.parametrize(
    ("who", "survivor", "other", "status"),
    [
        ("owner", "a", "b", 200),
        ("rep", "r1", "r2", 200),  # the rep's own records
        ("rep", "r1", "a", 403),  # may change their own, not delete the owner's
        ("rep", "a", "r1", 403),  # may not change the owner's
        ("read_only", "a", "b", 403),
        ("other_owner", "a", "b", 404),
    ],
)
def test_merge_permissions(dupes, web_client_for, who, survivor, other, status):
    client = web_client_for(getattr(dupes, who))
    kept, merged = getattr(dupes, survivor), getattr(dupes, other)
    assert client.get(_merge_url(kept.pk, merged.pk, survivor=kept.pk)).status_code == status
    response = _post_merge(client, kept, [merged])
    assert response.status_code == (302 if status == 200 else status)
    assert Contact.objects.filter(pk=merged.pk).exists() is (status != 200)
    if status == 200:
        assert response.headers["Location"] == reverse("contacts:contact_detail", args=[kept.pk])


def test_anonymous_is_sent_to_login(dupes, client):
    for url in (
        _merge_url(dupes.a.pk, dupes.b.pk),
        reverse("contacts:contact_duplicates"),
        reverse("contacts:contact_merge_pick", args=[dupes.a.pk]),
        reverse("contacts:contact_duplicates_check"),
        reverse("contacts:company_duplicates"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith(
            reverse("accounts:login")
        )
    assert _post_merge(client, dupes.a, [dupes.b]).status_code == 302
    assert Contact.objects.filter(pk=dupes.b.pk).exists()


def test_wrong_number_of_records_goes_back_with_a_message(dupes, web_client_for):
    client = web_client_for(dupes.owner)
    response = client.get(_merge_url(dupes.a.pk), follow=True)
    assert response.redirect_chain[-1][0] == reverse("contacts:contact_duplicates")
    assert "at least two" in response.content.decode()
    many = [make_contact(dupes.owner, "P", str(i)).pk for i in range(11)]
    response = client.get(_merge_url(*many), follow=True)
    assert "at most 10" in response.content.decode()


# ----------------------------------------------------------------------------- the compare-and-merge screen


def test_compare_screen_defaults_and_summary(dupes, web_client_for):
    client = web_client_for(dupes.owner)
    response = client.get(_merge_url(dupes.a.pk, dupes.b.pk))
    html = response.content.decode()
    assert response.status_code == 200
    # One column per record, the first kept; each field's default is the survivor's value, else the other's.
    assert re.search(rf'name="survivor" value="{dupes.a.pk}"[^>]*data-merge-survivor checked', html)
    assert re.search(rf'name="choice-last_name" value="{dupes.a.pk}"[^>]*checked', html)
    assert re.search(rf'name="choice-job_title" value="{dupes.b.pk}"[^>]*checked', html)
    assert "Chief Financial Officer" in html and "sara.home@example.com" in html
    assert "0935 123 4567" in html  # phones as the reader writes them
    # Same first name on both: shown, not chosen.
    assert 'name="choice-first_name"' not in html
    assert "Restoring it from the recycle bin undoes the merge" in html
    assert f'name="expected_version" value="{dupes.a.version}"' in html
    # Choosing the other survivor draws its defaults.
    html = client.get(_merge_url(dupes.a.pk, dupes.b.pk, survivor=dupes.b.pk)).content.decode()
    assert re.search(rf'name="choice-last_name" value="{dupes.b.pk}"[^>]*checked', html)
    assert re.search(rf'name="choice-company" value="{dupes.a.pk}"[^>]*checked', html)  # b has none


def test_a_choice_from_the_other_record_wins(dupes, web_client_for):
    client = web_client_for(dupes.owner)
    response = _post_merge(client, dupes.a, [dupes.b], last_name=dupes.b.pk, job_title=dupes.a.pk)
    assert response.status_code == 302
    dupes.a.refresh_from_db()
    assert dupes.a.last_name == "Ahmadi-Pour"  # chosen from b
    assert dupes.a.job_title == ""  # the survivor's empty value, chosen over b's
    assert dupes.a.birthday == datetime.date(1990, 5, 1)  # not chosen: the survivor had none
    assert sorted(dupes.a.phones.values_list("number", flat=True)) == ["+989121234567", "+989351234567"]
    assert Note.objects.get().contact == dupes.a
    page = client.get(response.headers["Location"]).content.decode()
    assert "To undo the merge, restore the merged record from the recycle bin." in page


def test_merge_then_restore_undoes_it(dupes, web_client_for):
    client = web_client_for(dupes.owner)
    _post_merge(client, dupes.a, [dupes.b], last_name=dupes.b.pk)
    response = client.post(reverse("accounts:recycle_restore", args=["contact", dupes.b.pk]))
    assert response.status_code == 302
    dupes.a.refresh_from_db()
    assert dupes.a.last_name == "Ahmadi" and dupes.a.job_title == ""
    assert list(dupes.a.emails.values_list("email", flat=True)) == ["sara@parsian.example"]
    assert Contact.objects.filter(pk=dupes.b.pk).exists()
    assert Note.objects.get().contact_id == dupes.b.pk
    assert Merge.objects.get().undone_at is not None


def test_hidden_fields_are_never_rendered_and_keep_the_survivors_value(dupes, web_client_for):
    customfields.custom_field_create(
        actor=dupes.owner, data={"entity": "contact", "label": "Salary", "field_type": "number"}
    )
    services.contact_update(actor=dupes.owner, contact=dupes.b, changes={"custom": {"salary": 98765}})
    _rules(dupes.admin, {"contact": {"job_title": "hidden", "emails": "hidden", "custom.salary": "hidden"}})
    client = web_client_for(dupes.admin)
    html = client.get(_merge_url(dupes.a.pk, dupes.b.pk)).content.decode()
    for secret in ("Chief Financial Officer", "sara.home@example.com", "parsian.example", "98765", "Salary"):
        assert secret not in html
    assert 'name="choice-job_title"' not in html
    # The merge goes through without touching what the admin cannot see (no value they never chose).
    response = _post_merge(client, dupes.a, [dupes.b], job_title=dupes.b.pk)
    assert response.status_code == 302
    dupes.a.refresh_from_db()
    assert dupes.a.job_title == "" and "salary" not in dupes.a.custom


def test_read_only_fields_are_not_choosable(dupes, web_client_for):
    _rules(dupes.admin, {"contact": {"job_title": "read_only", "last_name": "read_only"}})
    client = web_client_for(dupes.admin)
    html = client.get(_merge_url(dupes.a.pk, dupes.b.pk)).content.decode()
    assert "Chief Financial Officer" in html  # shown
    assert re.search(rf'name="choice-job_title" value="{dupes.b.pk}"[^>]* disabled', html)
    assert re.search(rf'name="choice-job_title" value="{dupes.a.pk}"[^>]*checked disabled', html)
    response = _post_merge(client, dupes.a, [dupes.b], job_title=dupes.b.pk, last_name=dupes.b.pk)
    assert response.status_code == 302
    dupes.a.refresh_from_db()
    assert dupes.a.job_title == "" and dupes.a.last_name == "Ahmadi"
    assert dupes.a.birthday == datetime.date(1990, 5, 1)


def test_stale_page_is_refused(dupes, web_client_for):
    client = web_client_for(dupes.owner)
    version = dupes.a.version
    services.contact_update(actor=dupes.owner, contact=dupes.a, changes={"job_title": "Buyer"})
    response = client.post(
        reverse("contacts:contact_merge"),
        {"ids": f"{dupes.a.pk},{dupes.b.pk}", "survivor": dupes.a.pk, "expected_version": version},
    )
    assert response.status_code == 409
    assert Contact.objects.filter(pk=dupes.b.pk).exists()


def test_company_merge_moves_people(dupes, web_client_for):
    other = make_company(dupes.owner, "Parsian Trading Co", domain="parsian.example", industry="Retail")
    person = make_contact(dupes.owner, "Lily", "Walker", company=other)
    client = web_client_for(dupes.owner)
    html = client.get(reverse("contacts:company_duplicates")).content.decode()
    assert "Parsian Trading Co" in html and "Same domain" in html
    url = reverse("contacts:company_merge") + f"?ids={dupes.parsian.pk},{other.pk}"
    html = client.get(url).content.decode()
    assert "people and subsidiaries move to it" in html
    assert re.search(rf'name="choice-industry" value="{other.pk}"[^>]*checked', html)
    response = client.post(
        reverse("contacts:company_merge"),
        {"ids": f"{dupes.parsian.pk},{other.pk}", "survivor": dupes.parsian.pk, "choice-name": other.pk},
    )
    assert response.status_code == 302
    person.refresh_from_db()
    dupes.parsian.refresh_from_db()
    assert person.company == dupes.parsian
    assert dupes.parsian.name == "Parsian Trading Co" and dupes.parsian.industry == "Retail"
    assert not Company.objects.filter(pk=other.pk).exists()


# ----------------------------------------------------------------------------- the duplicates screen


def test_duplicate_pairs_listed(dupes, web_client_for, django_assert_max_num_queries):
    client = web_client_for(dupes.owner)
    with django_assert_max_num_queries(30):
        response = client.get(reverse("contacts:contact_duplicates"))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-pair="{dupes.a.pk}-{dupes.b.pk}"' in html
    assert f'data-pair="{dupes.r1.pk}-{dupes.r2.pk}"' in html
    assert "Same e-mail address" in html and "Compare and merge" in html
    assert _merge_url(dupes.a.pk, dupes.b.pk) in html.replace("&amp;", "&")
    assert f'-{dupes.other_contact.pk}"' not in html  # the other workspace's contact
    # The list links to it for members who may change contacts.
    assert (
        reverse("contacts:contact_duplicates")
        in client.get(reverse("contacts:contact_list")).content.decode()
    )


def test_duplicates_screen_only_for_members_who_may_change(dupes, web_client_for):
    client = web_client_for(dupes.read_only)
    assert client.get(reverse("contacts:contact_duplicates")).status_code == 403
    assert client.get(reverse("contacts:company_duplicates")).status_code == 403
    list_html = client.get(reverse("contacts:contact_list")).content.decode()
    assert reverse("contacts:contact_duplicates") not in list_html


def test_duplicates_screen_hides_hidden_names(dupes, web_client_for):
    _rules(dupes.admin, {"contact": dict.fromkeys(("first_name", "last_name", "phones"), "hidden")})
    html = web_client_for(dupes.admin).get(reverse("contacts:contact_duplicates")).content.decode()
    assert "Ahmadi" not in html and "Reza One" not in html and "09121234567" not in html
    assert f'data-pair="{dupes.a.pk}-{dupes.b.pk}"' in html  # same e-mail address, which they may see
    # With e-mail addresses hidden as well there is nothing left to compare them by.
    _rules(dupes.admin, {"contact": dict.fromkeys(("first_name", "last_name", "emails", "phones"), "hidden")})
    html = web_client_for(dupes.admin).get(reverse("contacts:contact_duplicates")).content.decode()
    assert "parsian.example" not in html and 'data-pair="' not in html


# ----------------------------------------------------------------------------- “Merge with…” and bulk


def test_merge_with_from_the_contact_page(dupes, web_client_for):
    client = web_client_for(dupes.owner)
    detail = client.get(reverse("contacts:contact_detail", args=[dupes.a.pk])).content.decode()
    pick = reverse("contacts:contact_merge_pick", args=[dupes.a.pk])
    assert pick in detail
    html = client.get(pick).content.decode()
    assert f'data-duplicate="{dupes.b.pk}"' in html
    assert _merge_url(dupes.a.pk, dupes.b.pk, survivor=dupes.a.pk) in html.replace("&amp;", "&")
    html = client.get(pick, {"q": "Reza"}).content.decode()
    assert f'data-found="{dupes.r1.pk}"' in html and f'data-found="{dupes.a.pk}"' not in html
    # Not offered to who may not change it.
    rep = web_client_for(dupes.rep)
    assert pick not in rep.get(reverse("contacts:contact_detail", args=[dupes.a.pk])).content.decode()
    assert rep.get(pick).status_code == 403


def test_bulk_merge_selected(dupes, web_client_for):
    client = web_client_for(dupes.owner)
    bulk = reverse("contacts:contact_bulk")
    response = client.post(bulk, {"action": "merge", "ids": [dupes.b.pk, dupes.a.pk], "next": "/contacts/"})
    assert response.status_code == 302
    assert response.headers["Location"] == _merge_url(dupes.b.pk, dupes.a.pk)
    response = client.post(bulk, {"action": "merge", "ids": [dupes.a.pk], "next": "/contacts/"}, follow=True)
    assert response.redirect_chain[-1][0] == "/contacts/"
    assert "at least two" in response.content.decode()
    assert Contact.objects.filter(pk__in=[dupes.a.pk, dupes.b.pk]).count() == 2
    html = client.get(reverse("contacts:contact_list")).content.decode()
    assert '<option value="merge">Merge selected</option>' in html
    read_only = web_client_for(dupes.read_only)
    assert read_only.post(bulk, {"action": "merge", "ids": [dupes.a.pk, dupes.b.pk]}).status_code == 403


# ----------------------------------------------------------------------------- the forms' panel


def _contact_form(**values):
    data = {
        "first_name": "",
        "last_name": "",
        "emails-0-value": "",
        "phones-0-value": "",
        "emails-primary": "0",
    }
    data.update(values)
    return data


def test_duplicates_panel_on_create_then_create_anyway(dupes, web_client_for):
    client = web_client_for(dupes.owner)
    url = reverse("contacts:contact_new")
    data = _contact_form(first_name="Sarah", last_name="A.", **{"emails-0-value": "Sara@Parsian.example"})
    before = Contact.objects.count()
    response = client.post(url, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Possible duplicates" in html and "Same e-mail address" in html
    detail_a = reverse("contacts:contact_detail", args=[dupes.a.pk])
    assert f'href="{detail_a}"' in html and "Sara Ahmadi" in html
    assert f'name="duplicates_seen" value="{dupes.a.pk},{dupes.b.pk}"' in html
    assert 'value="Sara@Parsian.example"' in html  # what was typed stays
    assert Contact.objects.count() == before
    # Confirming only some of them is not enough; confirming what was shown saves.
    response = client.post(url, {**data, "duplicates_seen": str(dupes.a.pk)})
    assert response.status_code == 200 and Contact.objects.count() == before
    response = client.post(url, {**data, "duplicates_seen": f"{dupes.a.pk},{dupes.b.pk}"})
    assert response.status_code == 302 and Contact.objects.count() == before + 1


def test_duplicates_panel_by_phone_in_persian_digits_and_live(dupes, web_client_for):
    client = web_client_for(dupes.owner)
    html = client.get(reverse("contacts:contact_new")).content.decode()
    check = reverse("contacts:contact_duplicates_check")
    assert f'data-duplicates-url="{check}"' in html and "data-duplicates-check" in html
    response = client.get(check, {"phones-0-value": "۰۹۳۵ ۱۲۳ ۴۵۶۷", "first_name": "X"}, **HX)
    html = response.content.decode()
    assert response.status_code == 200 and "Same phone number" in html
    assert f'data-duplicate="{dupes.b.pk}"' in html and f'data-duplicate="{dupes.a.pk}"' not in html
    assert client.get(check, {"emails-0-value": "nobody@example.com"}, **HX).content.decode().strip() == ""
    # Another workspace's contacts never show.
    other = web_client_for(dupes.other_owner).get(check, {"emails-0-value": "sara.home@example.com"}, **HX)
    assert other.content.decode().strip() == ""


def test_edit_asks_only_about_duplicates_the_edit_brings(dupes, web_client_for):
    client = web_client_for(dupes.owner)
    url = reverse("contacts:contact_edit", args=[dupes.a.pk])
    base = _contact_form(
        first_name="Sara",
        last_name="Ahmadi",
        company=dupes.parsian.pk,
        expected_version=dupes.a.version,
        **{"emails-0-value": "sara@parsian.example", "phones-0-value": "09121234567", "phones-primary": "0"},
    )
    # Already looked like b: a plain edit saves.
    assert client.post(url, {**base, "job_title": "Buyer"}).status_code == 302
    dupes.a.refresh_from_db()
    # Adding r1's e-mail makes it look like r1: asked first, with a link to compare and merge.
    base["expected_version"] = dupes.a.version
    response = client.post(url, {**base, "emails-1-value": "reza@rep.example"})
    html = response.content.decode()
    assert response.status_code == 200 and f'data-duplicate="{dupes.r1.pk}"' in html
    assert f'data-duplicate="{dupes.b.pk}"' not in html
    assert "Save anyway" in html and "Compare and merge" in html
    live = client.get(
        reverse("contacts:contact_duplicates_check"),
        {
            "record": dupes.a.pk,
            "emails-0-value": "sara@parsian.example",
            "emails-1-value": "reza@rep.example",
        },
        **HX,
    ).content.decode()
    assert f'data-duplicate="{dupes.r1.pk}"' in live and f'data-duplicate="{dupes.b.pk}"' not in live
    seen = f"{dupes.r1.pk},{dupes.r2.pk}"  # both have that e-mail
    assert f'name="duplicates_seen" value="{seen}"' in html
    response = client.post(url, {**base, "emails-1-value": "reza@rep.example", "duplicates_seen": seen})
    assert response.status_code == 302
    assert dupes.a.emails.count() == 2


def test_quick_create_asks_first(dupes, web_client_for):
    client = web_client_for(dupes.owner)
    url = reverse("contacts:contact_quick_create")
    data = {"quick-first_name": "Sara", "quick-email": "sara.home@example.com"}
    response = client.post(url, data, **HX)
    assert response.status_code == 200 and "Create anyway" in response.content.decode()
    assert not Contact.objects.filter(first_name="Sara", last_name="").exists()
    response = client.post(url, {**data, "duplicates_seen": str(dupes.b.pk)}, **HX)
    assert response.status_code == 200 and "Created" in response.content.decode()
    assert Contact.objects.filter(first_name="Sara", last_name="").exists()


def test_company_form_panel(dupes, web_client_for):
    client = web_client_for(dupes.owner)
    url = reverse("contacts:company_new")
    response = client.post(url, {"name": "Parsian", "website": "https://www.parsian.example/about"})
    html = response.content.decode()
    assert response.status_code == 200 and "Same domain" in html and "Parsian Trading" in html
    assert not Company.objects.filter(name="Parsian").exists()
    response = client.post(
        url,
        {"name": "Parsian", "website": "https://parsian.example", "duplicates_seen": str(dupes.parsian.pk)},
    )
    assert response.status_code == 302 and Company.objects.filter(name="Parsian").exists()
    live = client.get(reverse("contacts:company_duplicates_check"), {"name": "parsian trading"}, **HX)
    assert "Same name" in live.content.decode()
