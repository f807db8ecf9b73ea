"""Background work of contacts: adapters that load by id and call a use case (safe to run twice)."""

from __future__ import annotations

from django_tasks import task

from peyvand.contacts.importing.jobs import import_run


@task()
def import_run_task(*, job_id: int) -> None:
    """Run or resume an import job (rows already done are skipped)."""
    import_run(job_id)
