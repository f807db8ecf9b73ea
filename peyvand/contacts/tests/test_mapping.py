"""Automatic column mapping for the export layouts of other CRMs and for Persian and Thai headers."""

from __future__ import annotations

from pathlib import Path

import pytest

from peyvand.contacts.importing.mapping import auto_map, column_label, guess_target
from peyvand.contacts.importing.readers import open_table

DATA = Path(__file__).parent / "data" / "crm-exports"


def _mapped(name: str, entity: str) -> dict[str, str]:
    headers = open_table(DATA / name, name).info.headers
    return dict(zip(headers, auto_map(headers, entity), strict=True))


def test_hubspot_contacts():
    mapped = _mapped("hubspot/hubspot-crm-exports-all-contacts-2025-01-15.csv", "contact")
    assert mapped["Record ID"] == "external_id"
    assert mapped["Phone Number"] == "phone" and mapped["Mobile Phone Number"] == "mobile"
    assert mapped["Company Name"] == "company" and mapped["Contact owner"] == "owner"
    assert mapped["Create Date"] == ""


def test_pipedrive_people_prefers_split_names_and_keeps_labels():
    mapped = _mapped("pipedrive/people-export.csv", "contact")
    assert mapped["Person - Name"] == ""
    assert mapped["Person - First name"] == "first_name"
    assert mapped["Person - Email (Work)"] == mapped["Person - Email (Home)"] == "email"
    assert mapped["Person - Phone (Mobile)"] == "mobile"
    assert column_label("Person - Email (Home)") == "home"


def test_salesforce_api_names():
    mapped = _mapped("salesforce-dataloader/extract_Contact.csv", "contact")
    assert mapped["FIRSTNAME"] == "first_name" and mapped["MAILINGPOSTALCODE"] == "postal_code"
    assert mapped["HASOPTEDOUTOFEMAIL"] == "email_opt_out"
    assert mapped["OWNERID"] == ""  # Salesforce user ids do not name Peyvand members
    companies = _mapped("salesforce-dataloader/extract_Account.csv", "company")
    assert companies["NAME"] == "name" and companies["NUMBEROFEMPLOYEES"] == "employees"


@pytest.mark.parametrize(
    ("header", "target"),
    [
        ("نام", "first_name"),
        ("نام خانوادگی", "last_name"),
        ("نام‌خانوادگی", "last_name"),
        ("پست الكترونيك", "email"),  # Arabic kaf and yeh
        ("تلفن همراه", "mobile"),
        ("شرکت", "company"),
        ("ชื่อ", "first_name"),
        ("นามสกุล", "last_name"),
        ("อีเมล", "email"),
        ("เบอร์มือถือ", "mobile"),
        ("Whatever", ""),
    ],
)
def test_persian_and_thai_headers(header, target):
    assert guess_target(header, "contact") == target


def test_a_target_is_used_once_unless_repeatable():
    assert auto_map(["Email", "First Name", "first name", "E-mail"], "contact") == [
        "email",
        "first_name",
        "",
        "email",
    ]


def test_custom_fields_by_label():
    assert guess_target("Customer tier", "contact", {"customertier": "custom.tier"}) == "custom.tier"
