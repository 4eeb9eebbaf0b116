"""Bump the published-data version whenever a record of a publishing module changes."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save

from territoire.core import modules
from territoire.core.cache import bump_data_version


def _on_change(sender: Any, **kwargs: Any) -> None:
    if sender._meta.app_label in modules.published_apps():
        bump_data_version()


post_save.connect(_on_change, dispatch_uid="territoire.core.bump.save")
post_delete.connect(_on_change, dispatch_uid="territoire.core.bump.delete")
m2m_changed.connect(_on_change, dispatch_uid="territoire.core.bump.m2m")
