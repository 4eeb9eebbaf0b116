"""One mailbox, one normal form: invisible characters and other spellings fold together."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from territoire.core.emails import normalise_email

LOCAL = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._-", min_size=1, max_size=20).filter(
    lambda s: not s.startswith(".") and not s.endswith(".") and ".." not in s
)
LABEL = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)
ADDRESS = st.builds(
    lambda local, a, b: f"{local}@{a}.{b}", LOCAL, LABEL, st.sampled_from(["fr", "org", "eu"])
)
INVISIBLE = st.sampled_from(
    ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u034f", "\u180e", "\ufe0f", "\U000e0041"]
)


@given(ADDRESS, st.lists(st.tuples(st.integers(min_value=0), INVISIBLE), max_size=4))
def test_invisible_characters_anywhere_fold_to_the_same_address(
    address: str, insertions: list[tuple[int, str]]
) -> None:
    spelled = address
    for position, char in insertions:
        at = position % (len(spelled) + 1)
        spelled = spelled[:at] + char + spelled[at:]
    assert normalise_email(spelled) == normalise_email(address) == address


@given(ADDRESS)
def test_the_normal_form_is_stable_and_case_free(address: str) -> None:
    normal = normalise_email(address.upper())
    assert normal == address
    assert normalise_email(normal) == normal


@pytest.mark.parametrize(
    ("spelled", "normal"),
    [
        ("Anne.Martin@Exemple.FR", "anne.martin@exemple.fr"),
        ("anne@exemple.fr\u200b", "anne@exemple.fr"),
        ("ａｎｎｅ@ｅｘｅｍｐｌｅ.fr", "anne@exemple.fr"),  # full-width letters (NFKC)
        ("anne@exémple.fr", "anne@xn--exmple-cva.fr"),
        ("anne@xn--exmple-cva.fr", "anne@xn--exmple-cva.fr"),
        ("  anne@exemple.fr. ", "anne@exemple.fr"),
    ],
)
def test_known_spellings(spelled: str, normal: str) -> None:
    assert normalise_email(spelled) == normal


@pytest.mark.parametrize(
    "refused", ["", "anne", "@exemple.fr", "an ne@exemple.fr", "anne@exe\x00mple.fr", "anne@-.fr"]
)
def test_what_cannot_be_folded_is_refused(refused: str) -> None:
    with pytest.raises(ValidationError):
        normalise_email(refused)
