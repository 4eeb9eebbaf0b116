from __future__ import annotations

from typing import Any

from django.http import HttpRequest

import territoire


def site(request: HttpRequest) -> dict[str, Any]:
    return {"territoire_version": territoire.__version__}
