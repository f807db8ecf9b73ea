"""Generate a large customer database in one workspace: companies, contacts, e-mails, phones and tags.

Run with the same environment as `peyvand` (PEYVAND_DATA_DIR / DATABASE_URL), after `peyvand migrate`,
`peyvand createadmin` and `benchmarks/seed.py` (members to own the records):

    python benchmarks/contacts_seed.py --email owner@bench.local --workspace Bench \\
        --contacts 1000000 --companies 100000

Names are Persian, Thai and English (the pools of `peyvand demo`, combined so that most full names are
rare); phones are valid Iranian, Thai and British numbers; every contact has a unique e-mail address. The
derived columns (display name, normalized name, sort key, search text, birthday month-day) are computed by
the same functions the services use, so searches and sorts behave exactly as on typed-in data; rows are
written with multi-row inserts (`peyvand.core.bulk`) in batches, without audit entries or events (this is
seed data, not a use case).
Adds to what is there: run it once per database.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))

LANGUAGE_WEIGHTS = (("fa", 5), ("th", 3), ("en", 2))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--email", required=True, help="the owner created by `peyvand createadmin`")
    parser.add_argument("--workspace", required=True)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--tags", type=int, default=40)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1405)
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peyvand.config.settings")
    import django

    django.setup()
    from django.db import transaction

    from peyvand.accounts.models import Membership
    from peyvand.contacts import demo, services
    from peyvand.contacts.models import (
        Company,
        Contact,
        ContactEmail,
        ContactPhone,
        ContactTag,
        LifecycleStage,
    )
    from peyvand.core import customfields
    from peyvand.core.bulk import insert_objects, insert_rows
    from peyvand.core.contactpoints import normalize_phone
    from peyvand.core.context import Channel, acting_through
    from peyvand.core.models import Tag
    from peyvand.core.tags import tag_create

    rng = random.Random(args.seed)
    owner = Membership.objects.select_related("workspace", "user", "role").get(
        user__email__iexact=args.email, workspace__name=args.workspace
    )
    workspace = owner.workspace
    language = workspace.language
    region = workspace.country or "IR"
    members = list(
        Membership.objects.filter(workspace=workspace, is_active=True).values_list("pk", flat=True)
    )
    services.lifecycle_ensure_defaults(workspace.pk)
    stages = list(LifecycleStage.objects.filter(workspace=workspace).values_list("pk", flat=True))
    with acting_through(Channel.SYSTEM):
        tags = list(Tag.objects.filter(workspace=workspace))
        for index in range(len(tags), args.tags):
            tags.append(tag_create(actor=owner, name=f"{rng.choice(demo.TAGS)} {index + 1}"))
    # Tag popularity falls off, so filters by a common tag and by a rare one both get measured.
    tag_weights = [1 / (rank + 1) for rank in range(len(tags))]
    contact_defs = customfields.definitions(workspace.pk, "contact")
    company_defs = customfields.definitions(workspace.pk, "company")

    def pick_language() -> str:
        return rng.choices(
            [lang for lang, _w in LANGUAGE_WEIGHTS], weights=[w for _l, w in LANGUAGE_WEIGHTS]
        )[0]

    def phone(lang: str) -> str:
        return normalize_phone(demo.random_phone(rng, lang), region)

    started = time.monotonic()
    company_ids: list[tuple[int, str]] = []
    pools = {"fa": demo.PERSIAN_COMPANIES, "th": demo.THAI_COMPANIES, "en": demo.ENGLISH_COMPANIES}
    done = 0
    while done < args.companies:
        size = min(args.batch, args.companies - done)
        rows = []
        for n in range(done, done + size):
            lang = pick_language()
            name = f"{rng.choice(pools[lang])} {rng.choice(demo.INDUSTRIES)} {n + 1}"
            company = Company(
                workspace_id=workspace.pk,
                name=name,
                domain=f"c{n + 1}.example.com",
                website=f"https://c{n + 1}.example.com",
                industry=rng.choice(demo.INDUSTRIES),
                employees=rng.choice((5, 20, 80, 300, 1500)),
                company_type=rng.choice(("prospect", "customer", "partner", "supplier")),
                owner_id=rng.choice(members),
                phones=[{"number": phone(lang), "label": "work", "is_primary": True}],
            )
            services.company_derive(company, language=language, defs=company_defs)
            rows.append(company)
        with transaction.atomic():
            insert_objects(Company, rows)
        company_ids.extend((c.pk, c.name) for c in rows)
        done += size
        _progress("companies", done, args.companies, started)

    started = time.monotonic()
    done = 0
    while done < args.contacts:
        size = min(args.batch, args.contacts - done)
        rows = []
        points: list[tuple[str, str]] = []
        tag_sets: list[list[int]] = []
        for n in range(done, done + size):
            lang = pick_language()
            first, last = demo.random_person(rng, lang)
            if rng.random() < 0.3:  # double surnames keep most full names rare
                last = f"{last} {demo.random_person(rng, lang)[1]}"
            company = rng.choice(company_ids) if company_ids and rng.random() < 0.7 else None
            domain = f"c{company[0]}.example.com" if company else "mail.example.com"
            email = f"p{n + 1}@{domain}"
            number = phone(lang)
            contact = Contact(
                workspace_id=workspace.pk,
                first_name=first,
                last_name=last,
                company_id=company[0] if company else None,
                owner_id=rng.choice(members),
                job_title=rng.choice(demo.JOB_TITLES[lang]),
                lifecycle_stage_id=rng.choice(stages),
                source=rng.choice(demo.SOURCES),
                preferred_language=lang,
                birthday=datetime.date(rng.randint(1955, 2004), rng.randint(1, 12), rng.randint(1, 28))
                if rng.random() < 0.6
                else None,
                email_consent="granted" if rng.random() < 0.5 else "",
            )
            services.contact_derive(
                contact,
                emails=[email],
                phones=[number],
                company_name=company[1] if company else "",
                language=language,
                defs=contact_defs,
            )
            rows.append(contact)
            points.append((email, number))
            count = rng.choices((0, 1, 2, 3), weights=(3, 4, 2, 1))[0]
            tag_sets.append(
                sorted({t.pk for t in rng.choices(tags, weights=tag_weights, k=count)}) if tags else []
            )
        with transaction.atomic():
            insert_objects(Contact, rows)
            insert_rows(
                ContactEmail,
                ["workspace", "contact", "email", "email_normalized", "label", "is_primary"],
                (
                    (workspace.pk, c.pk, e, e.casefold(), "work", True)
                    for c, (e, _p) in zip(rows, points, strict=True)
                ),
            )
            insert_rows(
                ContactPhone,
                ["workspace", "contact", "number", "label", "is_primary"],
                ((workspace.pk, c.pk, p, "mobile", True) for c, (_e, p) in zip(rows, points, strict=True)),
            )
            insert_rows(
                ContactTag,
                ["contact", "tag", "sort_key"],
                ((c.pk, t, c.sort_key) for c, ids in zip(rows, tag_sets, strict=True) for t in ids),
            )
        done += size
        _progress("contacts", done, args.contacts, started)
    _analyze()
    total = Contact.objects.filter(workspace=workspace).count()
    print(f"contacts_seed: workspace “{workspace.name}” has {total} contacts")
    return 0


def _progress(what: str, done: int, total: int, started: float) -> None:
    elapsed = time.monotonic() - started
    rate = done / elapsed if elapsed else 0
    print(f"\r{what}: {done}/{total} ({rate:,.0f}/s)", end="\n" if done >= total else "", file=sys.stderr)


def _analyze() -> None:
    """Fresh planner statistics, as a production database would have after autovacuum."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


if __name__ == "__main__":
    sys.exit(main())
