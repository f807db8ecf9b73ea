"""Demo customers for `peyvand demo`: believable Persian, Thai and English people and companies.

Everything goes through the services (derived columns, audit, events are real). Loading twice adds nothing.
The name pools are shared with the benchmark generator (benchmarks/contacts_seed.py).
"""

from __future__ import annotations

import datetime
import random
from typing import Any

from django.db import transaction

from peyvand.accounts.models import Membership
from peyvand.contacts import services
from peyvand.contacts.models import Company, Contact, LifecycleStage
from peyvand.core import customfields
from peyvand.core.context import Channel, acting_through
from peyvand.core.models import CustomField
from peyvand.core.text import normalize

PERSIAN_FIRST = (
    "علی",
    "محمد",
    "رضا",
    "حسین",
    "مهدی",
    "امیر",
    "سارا",
    "مریم",
    "زهرا",
    "فاطمه",
    "نرگس",
    "آرش",
    "بهرام",
    "پرویز",
    "کاوه",
    "یاسمن",
    "گلناز",
    "نیلوفر",
    "شیرین",
    "هادی",
    "سمیرا",
    "ژاله",
    "چنگیز",
    "تینا",
    "مهسا",
    "پریسا",
    "کیان",
    "آرمان",
    "الهام",
    "فرهاد",
)
PERSIAN_LAST = (
    "احمدی",
    "محمدی",
    "رضایی",
    "کریمی",
    "حسینی",
    "موسوی",
    "جعفری",
    "صادقی",
    "رحیمی",
    "قاسمی",
    "کاظمی",
    "تهرانی",
    "شیرازی",
    "اصفهانی",
    "نوری",
    "یزدانی",
    "فرهادی",
    "پاکزاد",
    "میرزایی",
    "زمانی",
)
THAI_FIRST = (
    "สมชาย",
    "สมศักดิ์",
    "วิชัย",
    "ประเสริฐ",
    "สุชาติ",
    "มาลี",
    "สุดา",
    "กัญญา",
    "อรุณ",
    "ปรีชา",
    "นภา",
    "วันดี",
    "ธนพร",
    "ศิริพร",
    "ณัฐพล",
    "กมล",
    "ขวัญใจ",
    "เกียรติ",
    "ไพโรจน์",
    "ใจดี",
)
THAI_LAST = (
    "ใจดี",
    "สุขสันต์",
    "ศรีสุข",
    "วงศ์ใหญ่",
    "แสงทอง",
    "บุญมา",
    "ทองดี",
    "พรหมมา",
    "รัตนพันธ์",
    "สายสุวรรณ",
    "ชัยมงคล",
    "จันทร์เพ็ญ",
    "เพชรรัตน์",
    "มีสุข",
    "อินทร์แก้ว",
)
ENGLISH_FIRST = (
    "James",
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Lucas",
    "Mia",
    "Ethan",
    "Zoë",
    "Chloé",
    "Daniel",
    "Grace",
    "Henry",
    "Isla",
    "Jack",
    "Lily",
    "Oscar",
    "Ruby",
    "Samuel",
)
ENGLISH_LAST = (
    "Smith",
    "Johnson",
    "Brown",
    "Taylor",
    "Wilson",
    "Müller",
    "Davies",
    "Evans",
    "Thomas",
    "Roberts",
    "Walker",
    "Wright",
    "O'Brien",
    "Clarke",
    "Hughes",
)
PERSIAN_COMPANIES = (
    "بازرگانی پارسیان",
    "صنایع غذایی مهرگان",
    "فناوری اطلاعات آریا",
    "پخش سپید",
    "نساجی کویر",
    "داروسازی البرز",
    "ساختمانی پاسارگاد",
    "حمل و نقل سیمرغ",
    "بیمه آسیا نو",
    "چاپ و نشر ققنوس",
)
THAI_COMPANIES = (
    "บริษัท สยามเทรดดิ้ง จำกัด",
    "บริษัท กรุงเทพอาหาร จำกัด",
    "บริษัท ไทยซอฟต์ จำกัด",
    "บริษัท เชียงใหม่คราฟต์ จำกัด",
    "บริษัท ภูเก็ตทัวร์ จำกัด",
    "บริษัท อีสานเกษตร จำกัด",
    "บริษัท ชลบุรีโลจิสติกส์ จำกัด",
    "บริษัท รุ่งเรืองพาณิชย์ จำกัด",
)
ENGLISH_COMPANIES = (
    "Northwind Traders",
    "Blue Harbor Logistics",
    "Greenfield Foods",
    "Summit Software",
    "Atlas Machinery",
    "Brightline Media",
    "Crescent Health",
    "Oakridge Consulting",
)
INDUSTRIES = (
    "Retail",
    "Manufacturing",
    "Software",
    "Food",
    "Logistics",
    "Healthcare",
    "Construction",
    "Tourism",
)
JOB_TITLES = {
    "fa": ("مدیر فروش", "مدیرعامل", "کارشناس خرید", "حسابدار", "مدیر بازاریابی"),
    "th": ("ผู้จัดการฝ่ายขาย", "กรรมการผู้จัดการ", "เจ้าหน้าที่จัดซื้อ", "นักบัญชี", "ผู้จัดการการตลาด"),
    "en": ("Sales Manager", "CEO", "Purchasing Officer", "Accountant", "Marketing Lead"),
}
SOURCES = ("Website", "Referral", "Exhibition", "Instagram", "Cold call", "Telegram", "LINE")
TAGS = ("VIP", "Newsletter", "Wholesale", "Tehran", "Bangkok", "Partner event", "Follow up")
LATIN = str.maketrans("", "", "'")


def random_person(rng: random.Random, language: str) -> tuple[str, str]:
    pools = {
        "fa": (PERSIAN_FIRST, PERSIAN_LAST),
        "th": (THAI_FIRST, THAI_LAST),
        "en": (ENGLISH_FIRST, ENGLISH_LAST),
    }
    first, last = pools[language]
    return rng.choice(first), rng.choice(last)


def random_phone(rng: random.Random, language: str) -> str:
    """A number as people type it: Persian digits for Iranian mobiles, Thai mobiles with +66, London otherwise
    (the 020 7946 0xxx range is set aside for drama and examples)."""
    if language == "fa":
        digits = (
            f"{rng.choice(('0912', '0919', '0935', '0936', '0901', '0990'))}{rng.randint(1000000, 9999999)}"
        )
        return digits.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    if language == "th":
        return f"+66 8{rng.randint(1, 9)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
    return f"+44 20 7946 0{rng.randint(100, 999)}"


def _ensure_fields(owner: Membership) -> None:
    if CustomField.all_objects.filter(workspace_id=owner.workspace_id, entity="contact").exists():
        return
    customfields.custom_field_create(
        actor=owner,
        data={
            "entity": "contact",
            "label": "Customer tier",
            "field_type": "choice",
            "choices": ["Gold", "Silver", "Bronze"],
            "searchable": True,
        },
    )
    customfields.custom_field_create(
        actor=owner, data={"entity": "contact", "label": "Annual budget", "field_type": "money"}
    )
    customfields.custom_field_create(
        actor=owner,
        data={"entity": "company", "label": "Account number", "field_type": "text", "searchable": True},
    )


def demo_contacts_load(owner: Membership, *, people: int = 240, seed: int = 1405) -> int:
    """Fill the owner's workspace with companies and contacts (once). Returns how many contacts were made."""
    if Contact.all_objects.filter(workspace_id=owner.workspace_id).exists():
        return 0
    rng = random.Random(seed)
    members = list(
        Membership.objects.filter(workspace_id=owner.workspace_id, is_active=True).select_related("workspace")
    )
    with acting_through(Channel.SYSTEM), transaction.atomic():
        services.lifecycle_ensure_defaults(owner.workspace_id)
        stages = list(LifecycleStage.objects.filter(workspace_id=owner.workspace_id))
        _ensure_fields(owner)
        companies: list[tuple[Company, str]] = []
        for language, names in (("fa", PERSIAN_COMPANIES), ("th", THAI_COMPANIES), ("en", ENGLISH_COMPANIES)):
            for index, name in enumerate(names):
                domain = f"{language}{index + 1}.example.com"
                company = services.company_create(
                    actor=owner,
                    data={
                        "name": name,
                        "website": f"https://www.{domain}",
                        "industry": rng.choice(INDUSTRIES),
                        "employees": rng.choice((8, 25, 60, 140, 450, 1200)),
                        "company_type": rng.choice(
                            ("prospect", "customer", "customer", "partner", "supplier")
                        ),
                        "owner": rng.choice(members),
                        "phones": [random_phone(rng, language)],
                        "tags": rng.sample(TAGS, k=rng.randint(0, 2)),
                        "custom": {"account_number": f"AC-{rng.randint(10000, 99999)}"},
                    },
                )
                companies.append((company, language))
        made = 0
        for n in range(people):
            language = rng.choices(("fa", "th", "en"), weights=(5, 3, 2))[0]
            first, last = random_person(rng, language)
            in_language = [c for c, lang in companies if lang == language]
            employer: Company | None = rng.choice(in_language) if rng.random() < 0.75 else None
            login = f"{normalize(first).translate(LATIN) if language == 'en' else 'contact'}{n + 1}"
            domain = employer.domain if employer else "mail.example.com"
            data: dict[str, Any] = {
                "first_name": first,
                "last_name": last,
                "company": employer,
                "job_title": rng.choice(JOB_TITLES[language]),
                "owner": rng.choice(members),
                "emails": [{"email": f"{login}@{domain}", "label": "work"}],
                "phones": [{"number": random_phone(rng, language), "label": "mobile"}],
                "lifecycle_stage": rng.choice(stages),
                "source": rng.choice(SOURCES),
                "preferred_language": language,
                "tags": rng.sample(TAGS, k=rng.randint(0, 3)),
                "custom": {
                    "customer_tier": rng.choice(("Gold", "Silver", "Bronze", "")),
                    "annual_budget": rng.choice((None, 5000, 12000, 48000)),
                },
            }
            if rng.random() < 0.6:
                data["birthday"] = datetime.date(
                    rng.randint(1960, 2002), rng.randint(1, 12), rng.randint(1, 28)
                )
            if rng.random() < 0.5:
                data["email_consent"] = "granted"
            contact = services.contact_create(actor=owner, data=data)
            if rng.random() < 0.3:
                services.note_create(actor=owner, contact=contact, body=rng.choice(_NOTES[language]))
            made += 1
    return made


_NOTES = {
    "fa": ("تماس گرفته شد؛ پیش‌فاکتور می‌خواهد.", "در نمایشگاه تهران آشنا شدیم.", "پیگیری هفته آینده."),
    "th": ("โทรแล้ว ต้องการใบเสนอราคา", "พบกันที่งานแสดงสินค้า", "ติดตามสัปดาห์หน้า"),
    "en": ("Called; wants a quote.", "Met at the trade fair.", "Follow up next week."),
}


def demo_contacts_for(owner_email: str) -> int:
    """`peyvand demo`: fill the demo owner's workspace (an Iranian workspace, so 09… numbers are Iranian)."""
    from peyvand.accounts.demo import DEMO_WORKSPACE
    from peyvand.accounts.services import workspace_update

    owner = Membership.objects.select_related("workspace", "role", "user").get(
        user__email=owner_email, workspace__name=DEMO_WORKSPACE
    )
    if not owner.workspace.country:
        with acting_through(Channel.SYSTEM):
            workspace_update(actor=owner, workspace=owner.workspace, changes={"country": "IR"})
        owner.workspace.refresh_from_db()
    return demo_contacts_load(owner)
