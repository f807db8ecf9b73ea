"""Refusals specific to accounts, each with a stable code."""

from django.utils.translation import gettext_lazy as _

from peyvand.core.errors import ConflictError, DomainError, PermissionDeniedError


class LastOwnerError(ConflictError):
    code = "last_owner"
    default_message = _("A workspace needs at least one active owner.")


class LockedRoleError(PermissionDeniedError):
    code = "role_locked"
    default_message = _("The Owner role cannot be changed or deleted.")


class RoleInUseError(ConflictError):
    code = "role_in_use"
    default_message = _("Members or pending invites still have this role; give them another role first.")


class InviteNotUsableError(DomainError):
    code = "invite_not_usable"
    status = 410
    default_message = _("This invitation link has expired, was revoked or was already used.")
