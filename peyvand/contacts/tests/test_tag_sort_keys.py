"""Tag links carry their record's sort key (a tag's records in name order are one index range): every write
that creates a link or changes a name keeps the copies equal, and pages through a tag in name order are
the same whichever index finds them."""

from __future__ import annotations

from pathlib import Path

import pytest

from peyvand.contacts import merges, selectors, services
from peyvand.contacts.importing import jobs
from peyvand.contacts.models import Company, CompanyTag, Contact, ContactTag
from peyvand.contacts.tests.factories import every_page, make_company, make_contact
from peyvand.core import tags as tag_services
from peyvand.core.models import Tag

pytestmark = pytest.mark.django_db


def _out_of_sync() -> list[tuple[str, int, str, str]]:
    """Links whose copy differs from their record's sort key (empty when all is well)."""
    wrong = [
        ("contact", link.contact_id, link.sort_key, link.contact.sort_key)
        for link in ContactTag.objects.select_related("contact")
        if link.sort_key != link.contact.sort_key
    ]
    wrong += [
        ("company", link.company_id, link.sort_key, link.company.sort_key)
        for link in CompanyTag.objects.select_related("company")
        if link.sort_key != link.company.sort_key
    ]
    return wrong


def _import(actor, tmp_path: Path, text: str, policy: str = "skip") -> None:
    path = tmp_path / "people.csv"
    path.write_text(text, encoding="utf-8")
    job = jobs.import_job_from_path(actor=actor, entity="contact", path=path)
    if policy != "skip":
        jobs.import_job_configure(actor=actor, job=job, column_map=None, policy=policy)
    jobs.import_job_start(actor=actor, job=job, run_now=True)
    assert jobs.import_run(job.pk).status == "done"


def test_every_write_keeps_the_links_sort_keys(world, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    owner = world.owner
    sara = make_contact(owner, "Sara", "Ahmadi", tags=["vip", "lead"])
    zed = make_contact(owner, "Zed", "Young", tags=["vip", "partner"])
    acme = make_company(owner, "Acme", tags=["vip"])
    assert not ContactTag.objects.filter(sort_key="").exists() and not _out_of_sync()

    services.contact_update(actor=owner, contact=sara, changes={"first_name": "آرش"})  # another script
    services.company_update(actor=owner, company=acme, changes={"name": "Zenith", "tags": ["vip", "b2b"]})
    assert not _out_of_sync()

    services.record_tags_change(actor=owner, record=zed, add=["new"])
    tag_services.tag_merge(
        actor=owner,
        target=Tag.objects.get(name="vip"),
        sources=[Tag.objects.get(name="partner")],
    )
    assert not _out_of_sync()

    # the survivor takes the other's name (its key changes) and its tags (new links)
    merges.contact_merge(actor=owner, survivor=sara, others=[zed], choices={"first_name": zed.pk})
    assert not _out_of_sync()
    merges.undo_merge(owner, Contact.all_objects.get(pk=zed.pk))
    assert not _out_of_sync()

    other = make_company(owner, "Beta", tags=["b2b", "x"])
    merges.company_merge(actor=owner, survivor=other, others=[Company.objects.get(pk=acme.pk)])
    assert not _out_of_sync()

    _import(owner, tmp_path, "First name,Last name,Email,Tags\nKamran,Rad,k@example.com,vip;imported\n")
    _import(
        owner,
        tmp_path,
        "First name,Last name,Email,Tags\nAbbas,Rad,k@example.com,vip;again\n",
        policy="update",
    )
    assert Contact.objects.get(email="k@example.com").first_name == "Abbas"
    assert not _out_of_sync()

    services.reindex_contacts(Contact.all_objects.all(), language="th")  # the derived keys all change
    services.reindex_companies(Company.all_objects.all(), language="th")
    assert not _out_of_sync()


@pytest.mark.parametrize("mode", ["any", "all"])
def test_pages_of_a_tag_by_name_are_the_same_by_either_index(world, mode):
    """The tag's links in order (order_field) and the records' own name index give the same pages,
    forwards and backwards, with a second tag that must or may also be there."""
    names = ["یاسمن", "پرویز", "Ali", "สมชาย", "آرش", "Zoë", "ali", "กมล", "بهرام", "Oscar", "Ruby", "Ali"]
    for i, name in enumerate(names):
        make_contact(world.owner, name, "", tags=["common", *(["rare"] if i % 3 == 0 else [])])
    make_contact(world.owner, "Untagged", "")
    rare = Tag.objects.get(name="rare").pk
    common = Tag.objects.get(name="common").pk
    for tags in ([common], [rare], [common, rare]):
        filters = selectors.ListFilters(tags=tags, tags_mode=mode)
        qs = selectors.contact_list(world.owner, filters)
        one_link = mode == "all" or len(tags) == 1
        assert ("_tag_link" in str(qs.query)) is one_link
        for ordering in ("sort_key", "-sort_key"):
            walks = []
            for plan in ({}, {"order_field": selectors.TAG_SORT_KEY}):
                if "order_field" in plan and not one_link:
                    continue  # several tags, any of them: no single link to walk
                walks.append(every_page(qs, ordering=ordering, limit=3, **plan))
            expected = set(Contact.objects.filter(tag_links__tag_id__in=tags).values_list("pk", flat=True))
            if mode == "all" and len(tags) > 1:
                expected = set(Contact.objects.filter(tag_links__tag_id=rare).values_list("pk", flat=True))
            assert all(w == walks[0] for w in walks) and set(walks[0]) == expected
            assert len(walks[0]) == len(expected)  # no row twice
