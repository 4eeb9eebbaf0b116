"""Cross-cutting records: the audit trail and the published-data version."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    # The managers of the models with translated fields are django-modeltranslation's,
    # swapped in at run time: django-stubs' plugin types them only if the type checker has
    # their module (every model module imports this one).
    import modeltranslation.manager  # noqa: F401


class TimeStampedModel(models.Model):
    """Base for domain records: a public UUID and creation/update times."""

    public_id = models.UUIDField(_("identifiant public"), default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        abstract = True


class AppendOnlyModel(models.Model):
    """Base for records that are written once: a saved row is never saved again.

    ``save()`` on a row that has a primary key raises ``ValueError`` with
    ``append_only_message``. A correction is a new row. Queryset ``update()`` is the
    one way to flip a bookkeeping flag (``Measurement.is_current``); rows are never
    deleted one by one (a cascade from their owner removes them).
    """

    append_only_message = "These records are append-only."

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError(self.append_only_message)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError(self.append_only_message)


class AuditEvent(AppendOnlyModel):
    """One write by a person or an integration. Append-only: never updated or deleted."""

    append_only_message = "Audit events are append-only."

    created_at = models.DateTimeField(_("date"), auto_now_add=True, db_index=True)
    # Empty for residents' and integrations' writes: a partial index (non-null rows only).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    actor_label = models.CharField(_("auteur (libellé)"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    object_type = models.CharField(_("type d'objet"), max_length=100, blank=True)
    object_id = models.CharField(_("objet"), max_length=100, blank=True)
    organisation_id = models.BigIntegerField(_("organisation"), null=True, blank=True, db_index=True)
    changes = models.JSONField(_("changements"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)

    class Meta:
        verbose_name = _("événement d'audit")
        verbose_name_plural = _("journal d'audit")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["actor"], condition=Q(actor__isnull=False), name="core_audit_actor_nn")
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"


class DataVersion(models.Model):
    """A counter bumped whenever published data changes.

    Cached pages are keyed by it, so every web worker sees a change at once (the
    counter lives in the database, not in any one process).
    """

    key = models.CharField(max_length=50, unique=True)
    version = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("version des données")

    def __str__(self) -> str:
        return f"{self.key}={self.version}"


class Lease(models.Model):
    """A named lease held by one process at a time (e.g. the one scheduler of an installation).

    Taken and renewed by a single conditional ``UPDATE`` (or the ``INSERT`` of the first
    holder, guarded by the unique name), so it works the same on SQLite and PostgreSQL and
    across machines. A holder that dies stops renewing: its lease expires and another
    process may take it.
    """

    name = models.CharField(max_length=50, unique=True)
    holder = models.CharField(max_length=200)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("bail")

    def __str__(self) -> str:
        return f"{self.name} → {self.holder} (until {self.expires_at:%Y-%m-%d %H:%M:%S})"
