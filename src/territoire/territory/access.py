"""Who may see and change what: the one place where staff rights are decided.

Pages, API, exports, admin and commands all ask these helpers. A staff member's
membership is for one commune or for the whole organisation; a commune-scoped member
sees the internal data of that commune only, and records of the organisation itself
(no commune of their own) are for organisation-wide members.

A web session that has not passed the second factor has no staff rights at all: every
membership (élus included) reads internal data, so every one needs the second factor
(``accounts.services.mfa_required``). Users without a session (commands, services
called with a model instance) carry no ``is_verified`` and are judged on their
memberships alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Q, QuerySet

from territoire.territory.models import Commune, Membership, Organisation, Role, Scope

WRITE_MEASUREMENT_ROLES = frozenset({Role.ADMINISTRATEUR, Role.CHEF_PROJET, Role.AGENT, Role.DPO, Role.RSSI})
EDIT_ROADMAP_ROLES = frozenset({Role.ADMINISTRATEUR, Role.CHEF_PROJET})


def session_unverified(user: Any) -> bool:
    """True for a web session that has passed the password but not the second factor.

    ``is_verified`` is installed on ``request.user`` by the OTP middleware; a model
    instance outside a request has none (a command, a task) and is not a session.
    """
    verified = getattr(user, "is_verified", None)
    return callable(verified) and not verified()


def _memberships(user: Any) -> list[Membership]:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if session_unverified(user):
        return []
    cached: list[Membership] | None = getattr(user, "_territoire_memberships", None)
    if cached is None:
        cached = list(Membership.objects.filter(user=user).select_related("commune"))
        user._territoire_memberships = cached
    return cached


def memberships_of(user: Any) -> list[Membership]:
    """The active user's memberships (one query, then cached on the user object)."""
    return _memberships(user)


def is_superuser(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.is_superuser
        and not session_unverified(user)
    )


def is_staff_of(user: Any, organisation: Organisation | int) -> bool:
    org_id = organisation if isinstance(organisation, int) else organisation.pk
    return is_superuser(user) or any(m.organisation_id == org_id for m in _memberships(user))


def organisations_for(user: Any) -> QuerySet[Organisation]:
    if is_superuser(user):
        return Organisation.objects.all()
    return Organisation.objects.filter(pk__in={m.organisation_id for m in _memberships(user)})


def _covers(membership: Membership, scope: Scope) -> bool:
    if scope.organisation_id is not None:
        return membership.organisation_id == scope.organisation_id and membership.commune_id is None
    commune = scope.commune
    if commune is None or commune.organisation_id != membership.organisation_id:
        return False
    return membership.commune_id is None or membership.commune_id == commune.pk


def can_view_internal(user: Any, scope: Scope) -> bool:
    return is_superuser(user) or any(_covers(m, scope) for m in _memberships(user))


def can_write_measurement(user: Any, scope: Scope) -> bool:
    return is_superuser(user) or any(
        _covers(m, scope) and m.role in WRITE_MEASUREMENT_ROLES for m in _memberships(user)
    )


def can_write_any_measurement(user: Any, organisation: Organisation | int) -> bool:
    """Whether ``user`` may record figures for some scope of ``organisation``."""
    org_id = organisation if isinstance(organisation, int) else organisation.pk
    return is_superuser(user) or any(
        m.organisation_id == org_id and m.role in WRITE_MEASUREMENT_ROLES for m in _memberships(user)
    )


def is_organisation_wide(user: Any, organisation: Organisation | int) -> bool:
    """Whether ``user`` sees the organisation's own internal records (its risks, its
    tokens): an organisation-wide membership, any role."""
    org_id = organisation if isinstance(organisation, int) else organisation.pk
    return is_superuser(user) or org_id in wide_organisation_ids(user)


def roles_in(user: Any, organisation: Organisation | int) -> list[Membership]:
    """``user``'s memberships of ``organisation`` (the roles a page can name to them)."""
    org_id = organisation if isinstance(organisation, int) else organisation.pk
    return [m for m in _memberships(user) if m.organisation_id == org_id]


def can_edit_roadmap(user: Any, organisation: Organisation | int) -> bool:
    org_id = organisation if isinstance(organisation, int) else organisation.pk
    return is_superuser(user) or any(
        m.organisation_id == org_id and m.commune_id is None and m.role in EDIT_ROADMAP_ROLES
        for m in _memberships(user)
    )


def internal_scopes(user: Any, organisation: Organisation) -> QuerySet[Scope]:
    """The scopes of ``organisation`` whose internal data ``user`` may see."""
    base = Scope.objects.filter(Q(organisation=organisation) | Q(commune__organisation=organisation))
    if is_superuser(user):
        return base
    ms = [m for m in _memberships(user) if m.organisation_id == organisation.pk]
    if any(m.commune_id is None for m in ms):
        return base
    return base.filter(commune_id__in=[m.commune_id for m in ms])


def public_scopes(organisation: Organisation) -> QuerySet[Scope]:
    return Scope.objects.filter(
        Q(organisation=organisation) | Q(commune__organisation=organisation)
    ).select_related("organisation", "commune")


def communes_of(organisation: Organisation) -> QuerySet[Commune]:
    return Commune.objects.filter(organisation=organisation)


def wide_organisation_ids(user: Any) -> set[int]:
    """The organisations where ``user`` has an organisation-wide membership."""
    return {m.organisation_id for m in _memberships(user) if m.commune_id is None}


def member_commune_ids(user: Any) -> set[int]:
    """The communes of ``user``'s commune-scoped memberships (within their organisation)."""
    return {
        m.commune_id
        for m in _memberships(user)
        if m.commune_id is not None
        and m.commune is not None
        and m.commune.organisation_id == m.organisation_id
    }


def reach(user: Any, organisation_paths: Sequence[str], commune_paths: Sequence[str] = ()) -> Q | None:
    """A filter on the records ``user`` may see in the back-office (None: all, a superuser).

    ``organisation_paths`` lead from the model to its Organisation, ``commune_paths`` to
    its Commune. An organisation-wide member sees every record of the organisation; a
    commune-scoped member sees the records of that commune only, and none of the
    organisation's own (a record whose commune is empty, or a model without a commune).
    """
    if is_superuser(user):
        return None
    wide = wide_organisation_ids(user)
    communes = member_commune_ids(user)
    allowed = Q(pk__in=[])
    for path in organisation_paths:
        allowed |= Q(**{f"{path}__in": wide})
    for path in commune_paths:
        allowed |= Q(**{f"{path}__in": communes})
    return allowed


def reaches_anything(user: Any, *, commune_level: bool) -> bool:
    """Whether ``reach`` can hold any record: a back-office module is shown only then."""
    if is_superuser(user) or wide_organisation_ids(user):
        return True
    return commune_level and bool(member_commune_ids(user))
