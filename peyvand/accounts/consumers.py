"""Event consumers of the accounts app (run by the outbox dispatcher, after commit, at least once)."""

from __future__ import annotations

from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _

from peyvand.accounts.models import Invite, Membership
from peyvand.core.events import consumer
from peyvand.core.models import OutboxEvent


@consumer("member.joined", name="accounts.tell_inviter_about_join")
def tell_inviter_about_join(event: OutboxEvent) -> None:
    """Tell whoever sent the invitation that it was accepted. The dispatcher records the delivery in the
    same transaction, so a redelivered event does not mail twice."""
    invite = (
        Invite.objects.select_related("invited_by__user", "workspace")
        .filter(pk=event.payload.get("invite_id"))
        .first()
    )
    member = Membership.objects.select_related("user").filter(pk=event.record_id).first()
    if invite is None or member is None or invite.invited_by is None:
        return
    inviter = invite.invited_by
    with translation.override(inviter.language or invite.workspace.language):
        subject = _("%(name)s joined %(workspace)s") % {
            "name": member.user.display_name,
            "workspace": invite.workspace.name,
        }
        body = _("%(name)s (%(email)s) accepted your invitation and can now sign in to %(workspace)s.") % {
            "name": member.user.display_name,
            "email": member.user.email,
            "workspace": invite.workspace.name,
        }
    send_mail(subject, body, None, [inviter.user.email])
