"""One mailbox, one address: the normal form of an e-mail address, before any uniqueness check.

Two spellings of one mailbox must not make two accounts (and two ballots). Characters a
mail system drops or folds — zero-width and other format characters, default-ignorable
code points, compatibility forms (full-width letters), upper case, a Unicode domain
against its ``xn--`` form — are folded here, and the normal form is what is stored and
compared. What cannot be folded into a plain address is refused with a message.
"""

from __future__ import annotations

import re
import unicodedata

import idna
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

# Unicode's Default_Ignorable_Code_Point property (DerivedCoreProperties.txt, 15.1) that are
# not of the format category Cf, which is removed as a whole.
_DEFAULT_IGNORABLE = re.compile(
    "[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u3164\ufe00-\ufe0f\uffa0\U000e0000-\U000e0fff]"
)


def _strip_invisible(text: str) -> str:
    text = _DEFAULT_IGNORABLE.sub("", text)
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def normalise_email(address: str) -> str:
    """The normal form of ``address``: ``local@domain``, lower case, domain in IDNA (``xn--``).

    Raises ``ValidationError`` (a message for the person) when the address cannot be
    folded into one that a mail system would deliver to one mailbox.
    """
    text = _strip_invisible(unicodedata.normalize("NFKC", address or "")).strip()
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        raise ValidationError(_("Saisissez une adresse électronique valide, par exemple nom@exemple.fr."))
    if any(unicodedata.category(ch).startswith(("C", "Z")) for ch in text):
        # Spaces and control characters left inside the address: no mailbox is named so.
        raise ValidationError(_("L'adresse électronique contient un espace ou un caractère invisible."))
    try:
        ascii_domain = idna.encode(domain.rstrip("."), uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise ValidationError(_("Le domaine de l'adresse électronique n'est pas valide.")) from exc
    normal = f"{local.lower()}@{ascii_domain.lower()}"
    validate_email(normal)
    return normal
