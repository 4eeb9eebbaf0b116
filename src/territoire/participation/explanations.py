"""Each project's outcome in words, and what became of the envelope left unspent.

Read from the trace the rule stored with the result (``rules.tally``'s rounds): the
greedy rules record every project's decision with the budget left; the Method of Equal
Shares records each funded project's round and what each supporter paid; its completion
records the greedy decisions on what was left. Nothing is recomputed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from territoire.participation.models import ParticipatoryBudget, Result, ResultRule
from territoire.participation.selectors.budgets import ResultRow


def _euros(value: Fraction | int | str) -> str:
    """Whole euros, rounded down, in the reader's language (1 234 €)."""
    amount = int(Fraction(value)) if not isinstance(value, int) else value
    return f"{number_format(amount, decimal_pos=0, use_l10n=True, force_grouping=True)} €"


def _money(value: str) -> str:
    """A per-supporter payment: cents when not whole."""
    amount = Fraction(value)
    decimals = 0 if amount.denominator == 1 else 2
    return f"{number_format(float(amount), decimal_pos=decimals, use_l10n=True, force_grouping=True)} €"


@dataclass
class Unspent:
    amount: int  # euros of the envelope no funded project uses
    share: int  # percent of the envelope
    why: str
    destination: str


def _greedy_words(step: dict[str, Any], turn: int) -> str:
    decision = str(step.get("decision", ""))
    remaining = step.get("remaining_budget", "0")
    if decision == "selected":
        before = Fraction(remaining) + int(step["cost"])
        return _("retenu au tour %(n)s : son coût tenait dans le budget restant (%(left)s)") % {
            "n": turn,
            "left": _euros(before),
        }
    if decision == "skipped: no votes":
        return _("non retenu : aucune voix")
    if decision == "skipped: does not fit":
        return _("non retenu : coût (%(cost)s) supérieur au budget restant (%(left)s)") % {
            "cost": _euros(int(step["cost"])),
            "left": _euros(remaining),
        }
    if decision.startswith("skipped: over the cap of "):
        return _("non retenu : il dépasserait le plafond de la catégorie %(category)s") % {
            "category": decision.removeprefix("skipped: over the cap of ")
        }
    return _("non retenu")


def project_outcomes(result: Result, rows: Sequence[ResultRow], amount: int) -> dict[str, str]:
    """Project id (Pabulib / external id) → its outcome in words."""
    rounds: list[dict[str, Any]] = list((result.trace or {}).get("rounds") or [])
    words: dict[str, str] = {}
    if result.rule in (ResultRule.GREEDY, ResultRule.GREEDY_CAPS):
        for turn, step in enumerate(rounds, start=1):
            words[str(step.get("project"))] = _greedy_words(step, turn)
    else:
        for step in rounds:
            project = str(step.get("project", ""))
            if "round" in step and step["round"] == 0:
                words[project] = _("retenu d'emblée : il ne coûte rien et a des soutiens")
            elif "round" in step:
                words[project] = _(
                    "retenu au tour %(n)s de la méthode des parts égales : ses %(supporters)s soutiens "
                    "ont payé %(payment)s chacun sur leur part"
                ) % {
                    "n": step["round"],
                    "supporters": step.get("supporters", 0),
                    "payment": _money(str(step.get("payment_per_supporter", "0"))),
                }
            elif step.get("phase") == "completion":
                before = Fraction(step.get("remaining_budget", "0"))
                if step.get("decision") == "selected":
                    words[project] = _(
                        "retenu lors de la complétion : il tenait dans le budget restant (%(left)s)"
                    ) % {"left": _euros(before + int(step.get("cost", 0)))}
                else:
                    words[project] = _(
                        "non retenu : coût (%(cost)s) supérieur au budget restant (%(left)s)"
                    ) % {
                        "cost": _euros(int(step.get("cost", 0))),
                        "left": _euros(before),
                    }
    left = amount - result.total_cost
    for row in rows:
        key = row.proposal.external_id
        if key in words:
            continue
        if row.selected:
            words[key] = _("retenu")
        elif row.votes == 0:
            words[key] = _("non retenu : aucune voix")
        elif result.rule == ResultRule.MES_COMPLETE or row.cost > left:
            words[key] = _("non retenu : coût (%(cost)s) supérieur au budget restant (%(left)s)") % {
                "cost": _euros(row.cost),
                "left": _euros(max(left, 0)),
            }
        else:
            words[key] = _(
                "non retenu : ses soutiens n'avaient plus assez de parts pour le financer ensemble"
            )
    return words


def unspent(budget: ParticipatoryBudget, result: Result, rows: Sequence[ResultRow], amount: int) -> Unspent:
    """What is left of the envelope, why, and where it goes (the budget's stated destination)."""
    left = max(amount - result.total_cost, 0)
    share = round(100 * left / amount) if amount else 0
    waiting = [row for row in rows if not row.selected]
    cheapest = min((row.cost for row in waiting), default=None)
    if left == 0:
        why = _("L'enveloppe est entièrement attribuée.")
    elif cheapest is None:
        why = _("Tous les projets soumis au vote sont retenus.")
    elif cheapest > left:
        why = _("Aucun projet non retenu ne tient dans ce montant : le moins cher coûte %(cost)s.") % {
            "cost": _euros(cheapest)
        }
    elif result.rule == ResultRule.GREEDY_CAPS:
        why = _(
            "Les projets qui tiendraient dans ce montant n'ont reçu aucune voix ou dépasseraient le "
            "plafond de leur catégorie."
        )
    elif result.rule == ResultRule.MES:
        why = _(
            "La méthode des parts égales s'arrête quand les soutiens des projets restants n'ont plus "
            "assez de parts pour en financer un ; ce reste n'est pas complété par une autre règle."
        )
    else:
        why = _("Les projets qui tiendraient dans ce montant n'ont reçu aucune voix.")
    destination = budget.unspent_destination.strip() or _(
        "La collectivité n'a pas encore indiqué ce que devient ce montant."
    )
    return Unspent(amount=left, share=share, why=why, destination=destination)
