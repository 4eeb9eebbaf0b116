"""The roadmap of the source document: the default for a new territory.

Six priority axes with their 2025-2026 objective, success indicators, major risk and
key partners (the table at the top of the article). Everything created from it can be
edited afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from territoire.indicators.models import Aggregate, Direction, Visibility


@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    name: str | Promise
    unit: str
    direction: str
    aggregate: str
    method: str | Promise
    decimals: int = 1
    visibility: str = Visibility.PUBLIC
    # A plausible target for the demo and a suggestion for a new territory.
    suggested_target: float | None = None


@dataclass(frozen=True)
class AxisSpec:
    code: str
    name: str | Promise
    objective: str | Promise
    risk: str | Promise
    risk_likelihood: int
    risk_impact: int
    mitigation: str | Promise
    partners: list[tuple[str, str]]
    indicators: list[IndicatorSpec] = field(default_factory=list)


OBJECTIVE_DEADLINE = date(2026, 12, 31)

H, L = Direction.HIGHER_IS_BETTER, Direction.LOWER_IS_BETTER
PWM, SUM, MEAN, MAX, NONE = (
    Aggregate.POPULATION_WEIGHTED_MEAN,
    Aggregate.SUM,
    Aggregate.MEAN,
    Aggregate.MAX,
    Aggregate.NONE,
)

AXES: list[AxisSpec] = [
    AxisSpec(
        code="connectivite",
        name=_("Connectivité et réseaux"),
        objective=_("Couverture très haut débit et 5G sur 100 % des zones prioritaires"),
        risk=_("Fracture numérique persistante"),
        risk_likelihood=3,
        risk_impact=4,
        mitigation=_(
            "Clauses de disponibilité et de maintenance ; ciblage des sites prioritaires (écoles, centres de santé, France Services)."
        ),
        partners=[
            ("Opérateurs télécoms", "operateur"),
            ("Syndicat mixte numérique", "syndicat_mixte"),
            ("État (Plan France Très Haut Débit)", "etat"),
        ],
        indicators=[
            IndicatorSpec(
                "connectivite.foyers_raccordables",
                _("Taux de foyers raccordables au très haut débit"),
                "%",
                H,
                PWM,
                _(
                    "Locaux raccordables à la fibre ou au THD radio ÷ locaux recensés, source opérateurs (relevé mensuel)."
                ),
                suggested_target=100,
            ),
            IndicatorSpec(
                "connectivite.disponibilite",
                _("Disponibilité du réseau des sites prioritaires"),
                "%",
                H,
                MEAN,
                _("Temps de service disponible ÷ temps total du mois, sondes des sites prioritaires."),
                decimals=2,
                suggested_target=99.9,
            ),
            IndicatorSpec(
                "connectivite.latence",
                _("Latence moyenne des sites prioritaires"),
                "ms",
                L,
                MEAN,
                _(
                    "Moyenne mensuelle des temps d'aller-retour mesurés par les sondes vers le cœur de réseau."
                ),
                suggested_target=20,
            ),
        ],
    ),
    AxisSpec(
        code="inclusion",
        name=_("Inclusion numérique"),
        objective=_("Former les 25 % d'agents en difficulté et 100 % des guichets à l'accueil"),
        risk=_("Exclusion des publics fragiles"),
        risk_likelihood=3,
        risk_impact=5,
        mitigation=_(
            "Médiation itinérante, accueil physique sur rendez-vous, partenariats avec les bibliothèques."
        ),
        partners=[
            ("Banque des Territoires", "financeur"),
            ("Associations de médiation numérique", "association"),
        ],
        indicators=[
            IndicatorSpec(
                "inclusion.heures_formation",
                _("Heures de formation des agents"),
                "h",
                H,
                SUM,
                _("Somme des heures de formation suivies par les agents sur le mois (plans de formation)."),
                decimals=0,
                suggested_target=400,
            ),
            IndicatorSpec(
                "inclusion.satisfaction_usagers",
                _("Satisfaction des usagers"),
                "%",
                H,
                PWM,
                _(
                    "Part des usagers « satisfaits » ou « très satisfaits » dans l'enquête à chaud des guichets."
                ),
                suggested_target=90,
            ),
            IndicatorSpec(
                "inclusion.taux_accompagnement",
                _("Taux d'accompagnement des publics éloignés du numérique"),
                "%",
                H,
                PWM,
                _(
                    "Personnes accompagnées par la médiation numérique ÷ personnes ayant demandé un accompagnement."
                ),
                suggested_target=80,
            ),
        ],
    ),
    AxisSpec(
        code="cybersecurite",
        name=_("Cybersécurité"),
        objective=_("Plan SOC mutualisé et PRA testés"),
        risk=_("Ransomware et fuites de données"),
        risk_likelihood=4,
        risk_impact=5,
        mitigation=_(
            "MFA, sauvegardes déconnectées, bastion d'administration, PRA testé deux fois par an, campagnes d'hameçonnage simulé."
        ),
        partners=[("ANSSI", "etat"), ("CERT régional", "etat"), ("Assureur cyber", "assureur")],
        indicators=[
            IndicatorSpec(
                "cyber.temps_retablissement",
                _("Temps de rétablissement lors des exercices PRA"),
                "h",
                L,
                MAX,
                _(
                    "Durée entre le déclenchement de l'exercice de reprise et le retour du service, dernier exercice connu."
                ),
                suggested_target=4,
            ),
            IndicatorSpec(
                "cyber.audits_conformes",
                _("Audits de sécurité conformes"),
                "%",
                H,
                MEAN,
                _("Audits sans écart majeur ÷ audits réalisés sur les 12 derniers mois."),
                suggested_target=100,
            ),
            IndicatorSpec(
                "cyber.taux_mfa",
                _("Comptes protégés par authentification multifacteur"),
                "%",
                H,
                PWM,
                _(
                    "Comptes d'agents avec second facteur actif ÷ comptes actifs, annuaire au dernier jour du mois."
                ),
                suggested_target=100,
            ),
            IndicatorSpec(
                "cyber.incidents",
                _("Incidents de sécurité déclarés"),
                "incidents",
                L,
                SUM,
                _("Nombre d'incidents qualifiés par le SOC sur le mois."),
                decimals=0,
                visibility=Visibility.INTERNAL,
                suggested_target=0,
            ),
        ],
    ),
    AxisSpec(
        code="services",
        name=_("Services publics digitaux"),
        objective=_("Portail unifié, identité numérique et formulaires simplifiés"),
        risk=_("Empilement d'applications non intégrées"),
        risk_likelihood=4,
        risk_impact=3,
        mitigation=_(
            "Urbanisation du SI, API ouvertes, contrats-cadres avec clauses d'interopérabilité et de réversibilité."
        ),
        partners=[("Éditeurs de logiciels", "editeur"), ("France Identité", "etat")],
        indicators=[
            IndicatorSpec(
                "services.taux_usage",
                _("Taux d'usage des démarches en ligne"),
                "%",
                H,
                PWM,
                _("Démarches déposées en ligne ÷ démarches déposées tous canaux sur le mois."),
                suggested_target=70,
            ),
            IndicatorSpec(
                "services.delai_traitement",
                _("Délai moyen de traitement des démarches"),
                "jours",
                L,
                PWM,
                _("Moyenne du délai entre dépôt complet et décision, démarches closes dans le mois."),
                suggested_target=5,
            ),
            IndicatorSpec(
                "services.taux_abandon",
                _("Taux d'abandon des formulaires en ligne"),
                "%",
                L,
                PWM,
                _("Formulaires commencés non soumis sous 7 jours ÷ formulaires commencés."),
                suggested_target=15,
            ),
        ],
    ),
    AxisSpec(
        code="durable",
        name=_("Développement durable"),
        objective=_("Empreinte numérique maîtrisée et capteurs IoT sobres"),
        risk=_("Surconsommation énergétique"),
        risk_likelihood=3,
        risk_impact=3,
        mitigation=_(
            "Mesure et publication du PUE, éco-conception des services, fréquence adaptative des capteurs."
        ),
        partners=[
            ("ADEME", "etat"),
            ("Intégrateurs IoT", "integrateur"),
            ("Fournisseurs d'énergie", "energeticien"),
        ],
        indicators=[
            IndicatorSpec(
                "durable.wh_par_transaction",
                _("Énergie par transaction numérique"),
                "Wh/transaction",
                L,
                PWM,
                _(
                    "Consommation électrique des serveurs et du réseau imputée aux services en ligne ÷ transactions du mois."
                ),
                decimals=2,
                suggested_target=2,
            ),
            IndicatorSpec(
                "durable.pue",
                _("PUE de la salle serveurs mutualisée"),
                "ratio",
                L,
                NONE,
                _("Énergie totale de la salle ÷ énergie des équipements informatiques, compteurs du mois."),
                decimals=2,
                suggested_target=1.4,
            ),
        ],
    ),
    AxisSpec(
        code="participation",
        name=_("Participation citoyenne"),
        objective=_("Consultations régulières et budgets participatifs"),
        risk=_("Fatigue participative"),
        risk_likelihood=3,
        risk_impact=3,
        mitigation=_(
            "Réponses argumentées publiées, rythme soutenable, canaux adaptés aux quartiers peu engagés."
        ),
        partners=[("Startups civiques", "startup"), ("Université partenaire", "universite")],
        # Measured by the participation module from real activity: its indicators declare
        # axis="participation" and are linked to this objective (roadmap.services).
        indicators=[],
    ),
]
