"""Column mapping: which column of an uploaded file fills which field, guessed from the header row.

Recognises the export layouts of HubSpot (English labels), Salesforce Data Loader (API names), Pipedrive
(`Person - Email (Work)`), Peyvand's own export, and Persian and Thai headers. A mapping is a list with one
target per column (`""` = ignore), editable and saved for reuse (ImportMapping).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from peyvand.core.text import normalize_compact


@dataclass(frozen=True)
class Target:
    key: str
    label: str | Promise
    repeatable: bool = False  # several columns may fill it (e-mails, phones, tags, notes)


CONTACT_TARGETS = (
    Target("external_id", _("ID in the other system")),
    Target("first_name", _("First name")),
    Target("last_name", _("Last name")),
    Target("full_name", _("Full name (split into first and last)")),
    Target("email", _("E-mail"), repeatable=True),
    Target("phone", _("Phone"), repeatable=True),
    Target("mobile", _("Mobile phone"), repeatable=True),
    Target("job_title", _("Job title")),
    Target("company", _("Company name")),
    Target("owner", _("Owner (member e-mail or name)")),
    Target("lifecycle_stage", _("Lifecycle stage")),
    Target("source", _("Source")),
    Target("birthday", _("Birthday")),
    Target("anniversary", _("Anniversary")),
    Target("website", _("Website")),
    Target("street", _("Street")),
    Target("city", _("City")),
    Target("region", _("State or province")),
    Target("postal_code", _("Postal code")),
    Target("country", _("Country")),
    Target("email_consent", _("E-mail consent (yes/no)")),
    Target("email_opt_out", _("E-mail opt-out (yes/no)")),
    Target("sms_consent", _("SMS consent (yes/no)")),
    Target("preferred_language", _("Preferred language")),
    Target("telegram", _("Telegram")),
    Target("instagram", _("Instagram")),
    Target("whatsapp", _("WhatsApp")),
    Target("line", _("LINE")),
    Target("linkedin", _("LinkedIn")),
    Target("tags", _("Tags (separated by ; or ,)"), repeatable=True),
    Target("note", _("Note"), repeatable=True),
)
COMPANY_TARGETS = (
    Target("external_id", _("ID in the other system")),
    Target("name", _("Name")),
    Target("legal_name", _("Legal name")),
    Target("domain", _("Domain")),
    Target("website", _("Website")),
    Target("industry", _("Industry")),
    Target("employees", _("Employees")),
    Target("annual_revenue", _("Annual revenue")),
    Target("company_type", _("Type")),
    Target("owner", _("Owner (member e-mail or name)")),
    Target("phone", _("Phone"), repeatable=True),
    Target("street", _("Street")),
    Target("city", _("City")),
    Target("region", _("State or province")),
    Target("postal_code", _("Postal code")),
    Target("country", _("Country")),
    Target("tags", _("Tags (separated by ; or ,)"), repeatable=True),
    Target("description", _("Description")),
    Target("note", _("Note"), repeatable=True),
)

# Header spellings → target, compared after normalize_compact (case, spaces, Arabic/Persian letters folded).
_CONTACT_SYNONYMS: dict[str, tuple[str, ...]] = {
    "external_id": ("record id", "id", "contact id", "person id", "شناسه", "รหัส"),
    "first_name": ("first name", "firstname", "given name", "نام", "ชื่อ", "ชื่อจริง"),
    "last_name": ("last name", "lastname", "surname", "family name", "نام خانوادگی", "نامخانوادگی", "นามสกุล"),
    "full_name": (
        "name",
        "full name",
        "contact name",
        "نام کامل",
        "نام و نام خانوادگی",
        "ชื่อ-นามสกุล",
        "ชื่อ นามสกุล",
        "ชื่อเต็ม",
    ),
    "email": ("email", "e-mail", "email address", "ایمیل", "پست الکترونیک", "پست الکترونیکی", "อีเมล", "อีเมล์"),
    "phone": (
        "phone",
        "phone number",
        "telephone",
        "work phone",
        "تلفن",
        "شماره تلفن",
        "شماره تماس",
        "โทรศัพท์",
        "เบอร์โทร",
        "เบอร์โทรศัพท์",
    ),
    "mobile": (
        "mobile",
        "mobile phone",
        "mobile phone number",
        "mobilephone",
        "cell",
        "cell phone",
        "موبایل",
        "تلفن همراه",
        "شماره همراه",
        "มือถือ",
        "โทรศัพท์มือถือ",
        "เบอร์มือถือ",
    ),
    "job_title": ("job title", "title", "position", "سمت", "عنوان شغلی", "ตำแหน่ง", "ตำแหน่งงาน"),
    "company": (
        "company",
        "company name",
        "organization",
        "organisation",
        "account name",
        "شرکت",
        "نام شرکت",
        "سازمان",
        "บริษัท",
        "ชื่อบริษัท",
        "องค์กร",
    ),
    "owner": ("owner", "contact owner", "مالک", "مسئول", "ผู้ดูแล", "เจ้าของ"),
    "lifecycle_stage": ("lifecycle stage", "lifecycle", "stage", "مرحله", "ขั้นตอน"),
    "source": ("source", "lead source", "leadsource", "original source", "منبع", "แหล่งที่มา"),
    "birthday": ("birthday", "birth date", "birthdate", "date of birth", "تاریخ تولد", "วันเกิด"),
    "anniversary": ("anniversary", "سالگرد", "วันครบรอบ"),
    "website": ("website", "website url", "web site", "url", "وب سایت", "وبسایت", "سایت", "เว็บไซต์"),
    "street": (
        "street",
        "address",
        "street address",
        "mailing street",
        "mailingstreet",
        "نشانی",
        "آدرس",
        "ที่อยู่",
    ),
    "city": ("city", "mailing city", "mailingcity", "شهر", "เมือง", "อำเภอ"),
    "region": (
        "state",
        "state/region",
        "province",
        "region",
        "mailing state",
        "mailingstate",
        "استان",
        "จังหวัด",
    ),
    "postal_code": (
        "postal code",
        "zip",
        "zip code",
        "postcode",
        "mailing postal code",
        "mailingpostalcode",
        "کد پستی",
        "รหัสไปรษณีย์",
    ),
    "country": ("country", "country/region", "mailing country", "mailingcountry", "کشور", "ประเทศ"),
    "email_consent": ("email consent", "marketing consent", "رضایت ایمیل", "ยินยอมอีเมล"),
    "email_opt_out": (
        "email opt out",
        "hasoptedoutofemail",
        "unsubscribed",
        "opted out of email",
        "انصراف از ایمیل",
        "ยกเลิกรับอีเมล",
    ),
    "sms_consent": ("sms consent", "رضایت پیامک", "ยินยอม sms"),
    "preferred_language": ("language", "preferred language", "زبان", "ภาษา"),
    "telegram": ("telegram", "تلگرام", "เทเลแกรม"),
    "instagram": ("instagram", "اینستاگرام", "อินสตาแกรม"),
    "whatsapp": ("whatsapp", "واتساپ", "วอทส์แอป"),
    "line": ("line", "line id", "ไลน์", "ไอดีไลน์"),
    "linkedin": ("linkedin", "لینکدین", "ลิงกต์อิน"),
    "tags": ("tags", "tag", "label", "labels", "برچسب", "برچسب ها", "แท็ก", "ป้ายกำกับ"),
    "note": ("note", "notes", "description", "یادداشت", "توضیحات", "หมายเหตุ", "บันทึก"),
}
_COMPANY_SYNONYMS: dict[str, tuple[str, ...]] = {
    "external_id": ("record id", "id", "company id", "organization id", "account id", "شناسه", "รหัส"),
    "name": (
        "name",
        "company name",
        "company",
        "organization",
        "organisation",
        "account name",
        "نام",
        "نام شرکت",
        "شرکت",
        "ชื่อ",
        "ชื่อบริษัท",
        "บริษัท",
    ),
    "legal_name": ("legal name", "نام ثبتی", "نام حقوقی", "ชื่อนิติบุคคล"),
    "domain": ("domain", "company domain name", "domain name", "دامنه", "โดเมน"),
    "website": ("website", "website url", "url", "وب سایت", "وبسایت", "سایت", "เว็บไซต์"),
    "industry": ("industry", "صنعت", "حوزه فعالیت", "อุตสาหกรรม"),
    "employees": (
        "employees",
        "number of employees",
        "numberofemployees",
        "company size",
        "تعداد کارکنان",
        "จำนวนพนักงาน",
    ),
    "annual_revenue": ("annual revenue", "annualrevenue", "revenue", "درآمد سالانه", "รายได้ต่อปี"),
    "company_type": ("type", "company type", "نوع", "ประเภท"),
    "owner": ("owner", "company owner", "account owner", "مالک", "مسئول", "ผู้ดูแล", "เจ้าของ"),
    "phone": ("phone", "phone number", "telephone", "تلفن", "شماره تماس", "โทรศัพท์", "เบอร์โทร"),
    "street": ("street", "address", "billing street", "billingstreet", "نشانی", "آدرس", "ที่อยู่"),
    "city": ("city", "billing city", "billingcity", "شهر", "เมือง"),
    "region": ("state", "state/region", "province", "billing state", "billingstate", "استان", "จังหวัด"),
    "postal_code": ("postal code", "zip", "billing postal code", "billingpostalcode", "کد پستی", "รหัสไปรษณีย์"),
    "country": ("country", "country/region", "billing country", "billingcountry", "کشور", "ประเทศ"),
    "tags": ("tags", "tag", "label", "labels", "برچسب", "แท็ก"),
    "description": ("description", "about", "توضیحات", "รายละเอียด"),
    "note": ("note", "notes", "یادداشت", "หมายเหตุ"),
}

# Peyvand's own export headers (contacts/exporting.py) in English, Persian and Thai that the lists above do
# not already cover, so an exported file maps back without changes.
_EXPORT_HEADERS: dict[str, dict[str, tuple[str, ...]]] = {
    "contact": {
        "job_title": ("سمت شغلی",),
        "lifecycle_stage": ("مرحلهٔ چرخهٔ عمر", "ขั้นตอนวงจรลูกค้า"),
        "email_consent": ("e-mail consent", "ความยินยอมรับอีเมล"),
        "sms_consent": ("ความยินยอมรับ sms",),
        "street": ("خیابان", "ถนน"),
        "region": ("state or province",),
        "preferred_language": ("زبان ترجیحی", "ภาษาที่ต้องการ"),
        "line": ("لاین",),
    },
    "company": {
        "legal_name": ("ชื่อจดทะเบียน",),
        "tags": ("برچسب‌ها",),
        "description": ("คำอธิบาย",),
        "street": ("خیابان", "ถนน"),
        "region": ("state or province",),
    },
}


def _add_export_headers() -> None:
    for synonyms, entity in ((_CONTACT_SYNONYMS, "contact"), (_COMPANY_SYNONYMS, "company")):
        for key, spellings in _EXPORT_HEADERS[entity].items():
            synonyms[key] = (*synonyms[key], *spellings)


_add_export_headers()

_PREFIX = re.compile(r"^\s*(person|organization|organisation|contact|company|account)\s*-\s*", re.IGNORECASE)
_LABEL = re.compile(r"\s*\(([^)]{1,20})\)\s*$")


def _index(synonyms: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {normalize_compact(s): key for key, spellings in synonyms.items() for s in (key, *spellings)}


_CONTACT_INDEX = _index(_CONTACT_SYNONYMS)
_COMPANY_INDEX = _index(_COMPANY_SYNONYMS)


def targets(entity: str) -> tuple[Target, ...]:
    return CONTACT_TARGETS if entity == "contact" else COMPANY_TARGETS


def split_header(header: str) -> tuple[str, str]:
    """`Person - Email (Work)` → (`Email`, `work`): the field words and a label for e-mails/phones."""
    text = _PREFIX.sub("", header or "")
    label = ""
    match = _LABEL.search(text)
    if match:
        label = match.group(1).strip().casefold()
        text = text[: match.start()]
    return text.strip(), label


def guess_target(header: str, entity: str, custom_keys: dict[str, str] | None = None) -> str:
    """The target a header names, or "" when it is not recognised. `custom_keys` maps a custom field's
    label and key (normalized) to `custom.<key>`."""
    words, label = split_header(header)
    needle = normalize_compact(words)
    if not needle:
        return ""
    if custom_keys and needle in custom_keys:
        return custom_keys[needle]
    index = _CONTACT_INDEX if entity == "contact" else _COMPANY_INDEX
    target = index.get(needle, "")
    if target == "phone" and label in ("mobile", "cell", "موبایل", "มือถือ"):
        return "mobile"
    return target


def auto_map(headers: list[str], entity: str, custom_keys: dict[str, str] | None = None) -> list[str]:
    """One target per column; a non-repeatable target goes to the first column that names it."""
    repeatable = {t.key for t in targets(entity) if t.repeatable} | {
        "email",
        "phone",
        "mobile",
        "tags",
        "note",
    }
    taken: set[str] = set()
    mapping: list[str] = []
    guesses = [guess_target(h, entity, custom_keys) for h in headers]
    # A file with separate first/last names does not also need its combined name column (Pipedrive has
    # `Person - Name`, `Person - First name` and `Person - Last name`).
    has_parts = "first_name" in guesses and "last_name" in guesses
    for target in guesses:
        if target == "full_name" and has_parts:
            target = ""
        if target and target not in repeatable and target in taken:
            target = ""
        taken.add(target)
        mapping.append(target)
    return mapping


def column_label(header: str) -> str:
    """The label an e-mail or phone column gives its values (`Email (Home)` → `home`)."""
    return split_header(header)[1][:20]
