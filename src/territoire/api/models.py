"""Tokens for integrations: random, stored hashed, scoped, expiring, revocable."""

from __future__ import annotations

import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from territoire.core import modules
from territoire.core.models import TimeStampedModel
from territoire.territory.models import Commune, Organisation

TOKEN_PREFIX = "trt_"  # noqa: S105  (a public prefix, not a secret)
# The module of the Open311 server: its application keys are tokens limited to it.
OPEN311_MODULE = "reports"


def hash_token(raw: str) -> str:
    # The token carries 256 bits of randomness: a fast hash is enough (no guessing).
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(TimeStampedModel):
    name = models.CharField(_("nom de l'intégration"), max_length=100)
    # Empty only for an Open311 application's key valid on the whole installation (a
    # token limited to the reports module): the JSON API refuses such a token.
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    commune = models.ForeignKey(
        Commune,
        verbose_name=_("commune"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text=_("Vide : toute l'organisation."),
    )
    can_write = models.BooleanField(_("écriture"), default=False)
    # Labels of the modules whose endpoints the token may use ("indicators", "roadmap"…).
    modules = models.JSONField(
        _("modules"),
        default=list,
        blank=True,
        help_text=_("Vide : tous les modules. Sinon, la liste des modules autorisés (ex. « indicators »)."),
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    # 12 characters; 13 for the Open311 keys issued before they were API tokens.
    key_prefix = models.CharField(_("début de la clé"), max_length=16, editable=False)
    expires_at = models.DateTimeField(_("expire le"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("dernière utilisation"), null=True, blank=True)

    class Meta:
        verbose_name = _("jeton d'API")
        verbose_name_plural = _("jetons d'API")
        ordering = ["organisation", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @classmethod
    def issue(cls, **fields: object) -> tuple[ApiToken, str]:
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(key_hash=hash_token(raw), key_prefix=raw[:12], **fields)
        return token, raw

    def clean(self) -> None:
        super().clean()
        known = modules.labels()
        if not isinstance(self.modules, list) or not all(isinstance(m, str) for m in self.modules):
            raise ValidationError({"modules": _("Une liste de noms de modules est attendue.")})
        unknown = sorted(set(self.modules) - known)
        if unknown:
            raise ValidationError(
                {"modules": _("Modules inconnus : %(unknown)s.") % {"unknown": ", ".join(unknown)}}
            )
        if self.organisation_id is None and self.modules != [OPEN311_MODULE]:
            raise ValidationError(
                {
                    "organisation": _(
                        "Seule une clé Open311 (module « reports » seul) vaut pour toute l'installation."
                    )
                }
            )

    def allows_module(self, module: str | None) -> bool:
        """Whether the token may call endpoints of ``module`` (an app label)."""
        return module is None or not self.modules or module in self.modules

    @property
    def is_valid(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
