"""Residents' issue reports (Open311 GeoReport v2 "service requests"), their triage and crew rounds.

Vocabulary: a ``ServiceCategory`` is an Open311 *service* (pothole, street light…); a
``Report`` is a *service request*. Statuses are configurable per organisation, each
mapping to Open311's ``open`` or ``closed``; ``Report.is_open`` copies that state so the
public listing (up to millions of rows) filters on one indexed column without a join.

Personal data (``email``, ``first_name``, ``last_name``, ``phone``, ``device_id``,
``account_id``) lives on ``Report`` only; every public path (Open311 GET, public pages,
exports) goes through ``selectors`` which never read those columns.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from territoire.api.models import ApiToken
from territoire.core.ids import uuid7
from territoire.core.models import AppendOnlyModel, TimeStampedModel
from territoire.territory.models import Commune, Organisation, Zone

DESCRIPTION_MAX_LENGTH = 4000

# The counter of the reports pages' cache (core.cache): a new report or a status change
# empties the cache of the pages that list reports, not of the spine's dashboards.
VERSION_KEY = "reports"


class ServiceType(models.TextChoices):
    """Open311 ``type``: realtime requests get an id at once, batch ones a token first."""

    REALTIME = "realtime", _("Temps réel")
    BATCH = "batch", _("Différé (file d'attente)")
    BLACKBOX = "blackbox", _("Sans suivi")


class AttributeDatatype(models.TextChoices):
    STRING = "string", _("Texte court")
    NUMBER = "number", _("Nombre")
    DATETIME = "datetime", _("Date et heure")
    TEXT = "text", _("Texte long")
    SINGLEVALUELIST = "singlevaluelist", _("Choix unique")
    MULTIVALUELIST = "multivaluelist", _("Choix multiple")


class Open311State(models.TextChoices):
    OPEN = "open", _("Ouvert")
    CLOSED = "closed", _("Fermé")


class ReportSource(models.TextChoices):
    WEB = "web", _("Formulaire web")
    OPEN311 = "open311", _("Application Open311")
    STAFF = "staff", _("Saisie par un agent")


class EventKind(models.TextChoices):
    SUBMITTED = "submitted", _("Signalement déposé")
    STATUS = "status", _("Changement de statut")
    ANSWER = "answer", _("Réponse du service")
    NOTE = "note", _("Note interne")
    ASSIGNMENT = "assignment", _("Affectation à une équipe")
    CATEGORY = "category", _("Changement de catégorie")
    MERGED = "merged", _("Fusion de doublons")
    SUPPORT = "support", _("Soutien (+1)")
    HIDDEN = "hidden", _("Masqué par la modération")
    UNHIDDEN = "unhidden", _("Rétabli par la modération")
    PHOTO_REDACTED = "photo_redacted", _("Photo retirée par la modération")
    ROUND = "round", _("Inscrit dans une tournée")


class QueueState(models.TextChoices):
    PENDING = "pending", _("En attente")
    DONE = "done", _("Traité")
    FAILED = "failed", _("Refusé")


# The defaults every organisation starts with: (code, label, Open311 state, requires a
# public answer, initial, duplicate).
DEFAULT_STATUSES: list[tuple[str, str, str, bool, bool, bool]] = [
    ("nouveau", "Nouveau", Open311State.OPEN, False, True, False),
    ("pris-en-compte", "Pris en compte", Open311State.OPEN, False, False, False),
    ("planifie", "Planifié", Open311State.OPEN, False, False, False),
    ("en-cours", "En cours", Open311State.OPEN, False, False, False),
    ("resolu", "Résolu", Open311State.CLOSED, True, False, False),
    ("non-pertinent", "Non pertinent", Open311State.CLOSED, True, False, False),
    ("doublon", "Doublon", Open311State.CLOSED, True, False, True),
]


class ServiceCategory(TimeStampedModel):
    """A kind of issue residents can report: an Open311 *service*."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="report_categories",
    )
    service_code = models.SlugField(_("code du service (Open311)"), max_length=64)
    name = models.CharField(_("nom"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    group = models.CharField(_("groupe"), max_length=100, blank=True)
    keywords = models.CharField(
        _("mots-clés"), max_length=300, blank=True, help_text=_("Séparés par des virgules.")
    )
    type = models.CharField(
        _("type"), max_length=10, choices=ServiceType.choices, default=ServiceType.REALTIME
    )
    team = models.CharField(
        _("service technique"),
        max_length=100,
        blank=True,
        help_text=_("L'équipe qui traite ces signalements."),
    )
    sla_days = models.PositiveIntegerField(
        _("délai cible (jours)"), null=True, blank=True, help_text=_("Vide : pas d'engagement de délai.")
    )
    service_minutes = models.PositiveIntegerField(
        _("durée d'intervention (minutes)"),
        default=20,
        help_text=_("Temps passé sur place lors d'une tournée."),
    )
    active = models.BooleanField(_("actif"), default=True)
    position = models.PositiveIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("catégorie de signalement")
        verbose_name_plural = _("catégories de signalement")
        ordering = ["organisation", "position", "name"]
        # The Open311 discovery document names the latest change (its "changeset").
        indexes = [models.Index(fields=["updated_at"], name="reports_category_updated")]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "service_code"], name="reports_category_unique_code"
            ),
            models.CheckConstraint(
                condition=Q(service_minutes__lte=24 * 60), name="reports_category_minutes"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def keyword_list(self) -> list[str]:
        return [k.strip() for k in self.keywords.split(",") if k.strip()]


class ServiceAttribute(models.Model):
    """An extra question of a service (Open311 ``attributes`` of a service definition)."""

    category = models.ForeignKey(
        ServiceCategory, verbose_name=_("catégorie"), on_delete=models.CASCADE, related_name="attributes"
    )
    code = models.SlugField(_("code"), max_length=64)
    description = models.CharField(_("question"), max_length=300)
    datatype = models.CharField(_("type de donnée"), max_length=16, choices=AttributeDatatype.choices)
    datatype_description = models.CharField(_("aide à la saisie"), max_length=300, blank=True)
    required = models.BooleanField(_("obligatoire"), default=False)
    variable = models.BooleanField(_("saisi par l'usager"), default=True)
    order = models.PositiveIntegerField(_("ordre"), default=0)
    # [{"key": "...", "name": "..."}] for the list datatypes.
    values = models.JSONField(_("valeurs possibles"), default=list, blank=True)
    # Shown on the report's public page. Free text may hold a name or a phone number, so a
    # new question is public only by the rule of ``public_by_default`` unless staff say so.
    public = models.BooleanField(
        _("réponse publique"),
        default=False,
        help_text=_(
            "La réponse est affichée sur la page publique du signalement (jamais de données personnelles)."
        ),
    )

    class Meta:
        verbose_name = _("question complémentaire")
        verbose_name_plural = _("questions complémentaires")
        ordering = ["category", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="reports_attribute_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.category.service_code}/{self.code}"

    @property
    def value_keys(self) -> list[str]:
        return [str(v.get("key")) for v in self.values if isinstance(v, dict)]

    @staticmethod
    def public_by_default(datatype: str) -> bool:
        """A choice in a list or a number holds no personal data; free text may."""
        return datatype in (
            AttributeDatatype.SINGLEVALUELIST,
            AttributeDatatype.MULTIVALUELIST,
            AttributeDatatype.NUMBER,
        )

    @staticmethod
    def value_name(value: dict[str, Any]) -> str:
        """A choice's name in the reader's language: ``name_en`` beside ``name`` (the French,
        and the fallback), as the content fields are in two languages."""
        language = (get_language() or "fr").split("-")[0]
        return str(value.get(f"name_{language}") or value.get("name"))

    def display(self, value: Any) -> str:
        """An answer as a person reads it: the names of the chosen values, not their keys."""
        names = {str(v.get("key")): self.value_name(v) for v in self.values if isinstance(v, dict)}
        items = value if isinstance(value, list) else [value]
        return ", ".join(names.get(str(item), str(item)) for item in items if item not in ("", None))


class ReportStatus(models.Model):
    """A step of a report's life, configurable per organisation, mapped to Open311 open/closed."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="report_statuses"
    )
    code = models.SlugField(_("code"), max_length=50)
    label = models.CharField(_("libellé"), max_length=100)
    open311_state = models.CharField(_("état Open311"), max_length=6, choices=Open311State.choices)
    position = models.PositiveIntegerField(_("ordre"), default=0)
    requires_answer = models.BooleanField(
        _("réponse argumentée obligatoire"),
        default=False,
        help_text=_("Passer à ce statut exige une réponse publique au demandeur."),
    )
    is_initial = models.BooleanField(_("statut initial"), default=False)
    is_duplicate = models.BooleanField(_("statut des doublons"), default=False)
    active = models.BooleanField(_("actif"), default=True)

    class Meta:
        verbose_name = _("statut de signalement")
        verbose_name_plural = _("statuts de signalement")
        ordering = ["organisation", "position"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="reports_status_unique_code"),
            models.UniqueConstraint(
                fields=["organisation"], condition=Q(is_initial=True), name="reports_status_one_initial"
            ),
            models.UniqueConstraint(
                fields=["organisation"], condition=Q(is_duplicate=True), name="reports_status_one_duplicate"
            ),
            models.CheckConstraint(
                condition=Q(is_initial=False) | Q(open311_state="open"), name="reports_status_initial_is_open"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def is_closed(self) -> bool:
        return self.open311_state == Open311State.CLOSED


class Crew(TimeStampedModel):
    """A field crew of a technical service, leaving from its depot for its rounds."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="crews"
    )
    name = models.CharField(_("nom"), max_length=100)
    team = models.CharField(_("service technique"), max_length=100, blank=True)
    depot_name = models.CharField(_("dépôt"), max_length=200, blank=True)
    depot_lat = models.FloatField(_("latitude du dépôt"))
    depot_lon = models.FloatField(_("longitude du dépôt"))
    shift_minutes = models.PositiveIntegerField(_("durée de la journée (minutes)"), default=7 * 60)
    # When the crew leaves the depot: with the round's order, the time each report is
    # expected to be handled (Open311 expected_datetime).
    shift_start = models.TimeField(_("début de la journée"), default=datetime.time(8, 0))
    categories = models.ManyToManyField(
        ServiceCategory, verbose_name=_("catégories traitées"), blank=True, related_name="crews"
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("équipe")
        verbose_name_plural = _("équipes")
        ordering = ["organisation", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="reports_crew_unique_name"),
            models.CheckConstraint(
                condition=Q(depot_lat__gte=-90, depot_lat__lte=90, depot_lon__gte=-180, depot_lon__lte=180),
                name="reports_crew_depot_range",
            ),
            models.CheckConstraint(
                condition=Q(shift_minutes__gt=0, shift_minutes__lte=24 * 60), name="reports_crew_shift_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ReportCounter(models.Model):
    """The last reference number given to a report of an organisation in a year.

    ``services.references`` increments it in the transaction that stores the report (the
    row is locked until commit), so two reports never get the same number.
    """

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="+"
    )
    year = models.PositiveIntegerField(_("année"))
    last = models.PositiveIntegerField(_("dernier numéro"), default=0)

    class Meta:
        verbose_name = _("compteur de références")
        verbose_name_plural = _("compteurs de références")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "year"], name="reports_counter_once"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}/{self.year}: {self.last}"


class Report(TimeStampedModel):
    """A resident's report (Open311 *service request*). ``public_id`` is its ``service_request_id``."""

    # Time-ordered (core.ids): a new report's id goes to the right end of the unique index
    # instead of a random page of it; its time is public anyway (requested_at).
    public_id = models.UUIDField(_("identifiant public"), default=uuid7, unique=True, editable=False)
    # A short reference a person can read out over the phone (VAL-2026-00123): the
    # organisation's prefix, the year, a number per organisation and year (ReportCounter).
    # NULL, not "", for a row inserted without the services: the unique constraint ignores NULLs.
    reference = models.CharField(  # noqa: DJ001
        _("référence"), max_length=32, null=True, blank=True, editable=False
    )
    # organisation, commune and category have no index of their own: each one leads a
    # composite index below (reports_org_due, reports_com_status, reports_dup_lookup),
    # which serves the same lookups; every index is one more write on each new report.
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="reports",
        db_index=False,
    )
    commune = models.ForeignKey(
        Commune, verbose_name=_("commune"), on_delete=models.CASCADE, related_name="reports", db_index=False
    )
    zone = models.ForeignKey(
        Zone,
        verbose_name=_("quartier"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
    category = models.ForeignKey(
        ServiceCategory,
        verbose_name=_("catégorie"),
        on_delete=models.PROTECT,
        related_name="reports",
        db_index=False,
    )
    status = models.ForeignKey(
        ReportStatus, verbose_name=_("statut"), on_delete=models.PROTECT, related_name="+"
    )
    # Copy of status.open311_state == "open": the listing filters on it without a join.
    is_open = models.BooleanField(_("ouvert"), default=True)
    description = models.TextField(_("description"), max_length=DESCRIPTION_MAX_LENGTH, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    address_string = models.CharField(_("adresse"), max_length=300, blank=True)
    address_id = models.CharField(_("identifiant d'adresse"), max_length=100, blank=True)
    zipcode = models.CharField(_("code postal"), max_length=10, blank=True)
    attributes = models.JSONField(_("réponses complémentaires"), default=dict, blank=True)
    media_url = models.URLField(_("lien vers une photo"), max_length=1000, blank=True)
    # The latest public answer of the service (Open311 status_notes).
    status_notes = models.TextField(_("réponse du service"), blank=True)
    # Personal data: never in a GET, a public page or an export.
    email = models.EmailField(_("e-mail du demandeur"), blank=True)
    # Notifications go to ``email`` only once its owner opened the confirmation link.
    email_confirmed_at = models.DateTimeField(_("e-mail du demandeur confirmé le"), null=True, blank=True)
    first_name = models.CharField(_("prénom du demandeur"), max_length=100, blank=True)
    last_name = models.CharField(_("nom du demandeur"), max_length=100, blank=True)
    phone = models.CharField(_("téléphone du demandeur"), max_length=40, blank=True)
    device_id = models.CharField(_("identifiant d'appareil"), max_length=200, blank=True)
    account_id = models.CharField(_("identifiant de compte"), max_length=200, blank=True)
    source = models.CharField(
        _("origine"), max_length=10, choices=ReportSource.choices, default=ReportSource.WEB
    )
    # The Open311 application's key (an API token limited to this module).
    api_key = models.ForeignKey(
        ApiToken,
        verbose_name=_("application"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
    requested_at = models.DateTimeField(_("déposé le"), default=timezone.now)
    closed_at = models.DateTimeField(_("clos le"), null=True, blank=True)
    # requested_at + the category's target delay (SLA); overdue = still open after it.
    due_at = models.DateTimeField(_("échéance"), null=True, blank=True)
    expected_at = models.DateTimeField(_("intervention prévue le"), null=True, blank=True)
    # Empty on a new report: indexed by partial indexes (non-null rows only, see Meta), so
    # that the intake writes no index entry for them.
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("doublon de"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
        db_index=False,
    )
    crew = models.ForeignKey(
        Crew,
        verbose_name=_("équipe"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
        db_index=False,
    )
    hidden = models.BooleanField(_("masqué"), default=False)
    hidden_reason = models.TextField(_("motif du masquage"), blank=True)
    supporters_count = models.PositiveIntegerField(_("soutiens (+1)"), default=0)

    class Meta:
        verbose_name = _("signalement")
        verbose_name_plural = _("signalements")
        ordering = ["-requested_at", "-id"]
        indexes = [
            # The public listing (Open311 GET requests, public pages): hidden reports are
            # never listed, so the indexes cover visible rows only. Ascending on
            # (…, requested_at, id): read backwards, each one delivers rows in the listing's
            # order (newest first, then highest id) for its equality filters plus a date
            # range, so a page is a LIMIT over the index, never a sort, on SQLite and
            # PostgreSQL alike and without planner statistics. The status filter must be
            # written ``is_open__in=[…]`` (an equality SQLite matches to the index column;
            # ``is_open=True`` compiles to a bare column test that it does not).
            models.Index(
                fields=["organisation", "requested_at", "id"],
                condition=Q(hidden=False),
                name="reports_pub_org",
            ),
            models.Index(
                fields=["organisation", "is_open", "requested_at", "id"],
                condition=Q(hidden=False),
                name="reports_pub_org_state",
            ),
            models.Index(
                fields=["commune", "requested_at", "id"], condition=Q(hidden=False), name="reports_pub_com"
            ),
            models.Index(
                fields=["commune", "is_open", "requested_at", "id"],
                condition=Q(hidden=False),
                name="reports_pub_com_state",
            ),
            models.Index(
                fields=["category", "requested_at", "id"], condition=Q(hidden=False), name="reports_pub_cat"
            ),
            models.Index(
                fields=["category", "is_open", "requested_at", "id"],
                condition=Q(hidden=False),
                name="reports_pub_cat_state",
            ),
            # A commune and a category: few rows per date window, the status is a residual test.
            models.Index(
                fields=["commune", "category", "requested_at", "id"],
                condition=Q(hidden=False),
                name="reports_pub_com_cat",
            ),
            # Triage queues and duplicate detection.
            models.Index(fields=["commune", "status"], name="reports_com_status"),
            models.Index(fields=["organisation", "is_open", "due_at"], name="reports_org_due"),
            models.Index(fields=["category", "is_open", "lat"], name="reports_dup_lookup"),
            models.Index(fields=["crew"], condition=Q(crew__isnull=False), name="reports_report_crew_nn"),
            models.Index(
                fields=["duplicate_of"],
                condition=Q(duplicate_of__isnull=False),
                name="reports_report_dup_of_nn",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(lat__isnull=True, lon__isnull=True)
                | Q(
                    lat__isnull=False,
                    lon__isnull=False,
                    lat__gte=-90,
                    lat__lte=90,
                    lon__gte=-180,
                    lon__lte=180,
                ),
                name="reports_report_coordinates",
            ),
            models.CheckConstraint(
                condition=Q(duplicate_of__isnull=True) | ~Q(duplicate_of=models.F("id")),
                name="reports_report_not_own_duplicate",
            ),
            # Also the index of the staff's search by reference.
            models.UniqueConstraint(fields=["organisation", "reference"], name="reports_reference_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.category} — {self.requested_at:%Y-%m-%d} ({self.public_id})"

    @property
    def service_request_id(self) -> str:
        return str(self.public_id)

    @property
    def has_location(self) -> bool:
        return self.lat is not None and self.lon is not None


def _photo_path(instance: Any, filename: str) -> str:
    # A random name without the client's file name; the extension comes from the content.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"reports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{extension}"


class ReportPhoto(TimeStampedModel):
    """A photo attached to a report, re-encoded without metadata (see core.uploads)."""

    report = models.ForeignKey(
        Report, verbose_name=_("signalement"), on_delete=models.CASCADE, related_name="photos"
    )
    file = models.FileField(_("fichier"), upload_to=_photo_path, max_length=200)
    content_type = models.CharField(_("type"), max_length=50)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(_("taille (octets)"), default=0)
    width = models.PositiveIntegerField(_("largeur"), default=0)
    height = models.PositiveIntegerField(_("hauteur"), default=0)
    redacted = models.BooleanField(_("retirée"), default=False)
    redacted_reason = models.TextField(_("motif du retrait"), blank=True)
    redacted_at = models.DateTimeField(_("retirée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("photo de signalement")
        verbose_name_plural = _("photos de signalement")
        ordering = ["report", "created_at"]

    def __str__(self) -> str:
        return f"{self.report_id}/{self.public_id}"


class ReportEvent(AppendOnlyModel):
    """One change in a report's life: who, when, what. Append-only."""

    report = models.ForeignKey(
        Report, verbose_name=_("signalement"), on_delete=models.CASCADE, related_name="events"
    )
    # No index of its own: events are read per report (its index, then a sort of a few
    # rows); an index no query uses would be one more page written by every report.
    created_at = models.DateTimeField(_("date"), default=timezone.now)
    # Empty for a resident's submission, and from_status for the first event: partial
    # indexes (see Meta), so that the intake writes no index entry for them.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    # Shown in the staff history; public pages show the kind and the service, not people.
    actor_label = models.CharField(_("auteur (libellé)"), max_length=200, blank=True)
    kind = models.CharField(_("nature"), max_length=20, choices=EventKind.choices)
    from_status = models.ForeignKey(
        ReportStatus,
        verbose_name=_("ancien statut"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    to_status = models.ForeignKey(
        ReportStatus,
        verbose_name=_("nouveau statut"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    message = models.TextField(_("message"), blank=True)
    data = models.JSONField(_("détails"), default=dict, blank=True)
    is_public = models.BooleanField(_("public"), default=True)

    class Meta:
        verbose_name = _("événement de signalement")
        verbose_name_plural = _("historique des signalements")
        ordering = ["report", "created_at", "id"]
        indexes = [
            models.Index(fields=["actor"], condition=Q(actor__isnull=False), name="reports_event_actor_nn"),
            models.Index(
                fields=["from_status"], condition=Q(from_status__isnull=False), name="reports_event_from_nn"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.kind}"


class Support(models.Model):
    """A "+1": someone else meets the same issue. One per supporter fingerprint (a hash)."""

    report = models.ForeignKey(
        Report, verbose_name=_("signalement"), on_delete=models.CASCADE, related_name="supports"
    )
    fingerprint = models.CharField(max_length=64)
    # Optional: the supporter follows the report (e-mailed on its changes). Personal data,
    # never shown on a public page, in the API or an export.
    email = models.EmailField(_("e-mail du soutien (suivi)"), blank=True)
    # Followers are e-mailed only with a confirmed address (supports made before the
    # confirmation existed keep None: they are no longer e-mailed).
    email_confirmed_at = models.DateTimeField(_("e-mail du soutien confirmé le"), null=True, blank=True)
    created_at = models.DateTimeField(_("date"), auto_now_add=True)

    class Meta:
        verbose_name = _("soutien")
        verbose_name_plural = _("soutiens")
        constraints = [
            models.UniqueConstraint(fields=["report", "fingerprint"], name="reports_support_once"),
        ]

    def __str__(self) -> str:
        return f"+1 {self.report_id}"


class Round(TimeStampedModel):
    """A crew's planned day: depot → assigned open reports → depot (OR-Tools order).

    ``commune``: planned from a commune's pages, the round takes that commune's reports
    only, and shows on that commune's pages only. Empty: the organisation's round.
    """

    crew = models.ForeignKey(Crew, verbose_name=_("équipe"), on_delete=models.CASCADE, related_name="rounds")
    commune = models.ForeignKey(
        Commune,
        verbose_name=_("commune"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    date = models.DateField(_("date"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("planifiée par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    shift_minutes = models.PositiveIntegerField(_("durée de la journée (minutes)"))
    distance_m = models.FloatField(_("distance planifiée (m)"))
    baseline_distance_m = models.FloatField(_("distance au plus proche voisin (m)"))
    saving_percent = models.DecimalField(
        _("économie (%)"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    travel_minutes = models.FloatField(_("trajet (minutes)"), default=0)
    service_minutes = models.FloatField(_("interventions (minutes)"), default=0)
    total_minutes = models.FloatField(_("durée totale (minutes)"), default=0)
    provider = models.CharField(_("calcul des distances"), max_length=50, blank=True)
    solve_seconds = models.FloatField(_("temps de calcul (s)"), default=0)
    geojson = models.JSONField(_("tracé (GeoJSON)"), default=dict, blank=True)

    class Meta:
        verbose_name = _("tournée")
        verbose_name_plural = _("tournées")
        ordering = ["-date", "-created_at"]
        indexes = [models.Index(fields=["crew", "-date"], name="reports_round_crew_date")]

    def __str__(self) -> str:
        return f"{self.crew} — {self.date:%Y-%m-%d}"


class LeftOverReason(models.TextChoices):
    """Why a report assigned to the crew is not among the round's stops."""

    SHIFT = "shift", _("ne tient pas dans la journée")
    NOT_PLACED = "not_placed", _("non placé : ni repère sur la carte ni adresse trouvée dans la BAN")


class RoundStop(models.Model):
    """A report in a round: visited at ``position`` (1…n), or left over (``reason`` says why)."""

    round = models.ForeignKey(
        Round, verbose_name=_("tournée"), on_delete=models.CASCADE, related_name="stops"
    )
    report = models.ForeignKey(
        Report, verbose_name=_("signalement"), on_delete=models.CASCADE, related_name="+"
    )
    position = models.PositiveIntegerField(_("rang"), null=True, blank=True)
    left_over = models.BooleanField(_("hors tournée"), default=False)
    service_minutes = models.FloatField(_("intervention (minutes)"), default=0)
    # The planned arrival: the crew's shift start plus the round's travel and service before.
    expected_at = models.DateTimeField(_("passage prévu"), null=True, blank=True)
    reason = models.CharField(
        _("raison (hors tournée)"), max_length=20, choices=LeftOverReason.choices, blank=True
    )
    # Metres from the previous stop (the depot for the first): the sheet shows them in km.
    leg_m = models.FloatField(_("distance depuis l'arrêt précédent (m)"), null=True, blank=True)

    class Meta:
        verbose_name = _("arrêt de tournée")
        verbose_name_plural = _("arrêts de tournée")
        ordering = ["round", "left_over", "position"]
        constraints = [
            models.UniqueConstraint(fields=["round", "report"], name="reports_stop_once"),
            models.CheckConstraint(
                condition=Q(left_over=True, position__isnull=True)
                | Q(left_over=False, position__isnull=False),
                name="reports_stop_position_or_left_over",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round} #{self.position or '-'}"


class QueuedRequest(models.Model):
    """An Open311 POST to a ``batch`` service: validated at once, created later (token)."""

    token = models.UUIDField(_("jeton"), default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    # The validated submission; personal fields are cleared once processed.
    payload = models.JSONField(default=dict)
    state = models.CharField(_("état"), max_length=10, choices=QueueState.choices, default=QueueState.PENDING)
    report = models.ForeignKey(Report, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    error = models.TextField(_("erreur"), blank=True)
    created_at = models.DateTimeField(_("reçue le"), auto_now_add=True)
    processed_at = models.DateTimeField(_("traitée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("demande en file d'attente")
        verbose_name_plural = _("demandes en file d'attente")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["state", "created_at"], name="reports_queue_state")]

    def __str__(self) -> str:
        return f"{self.token} ({self.state})"
