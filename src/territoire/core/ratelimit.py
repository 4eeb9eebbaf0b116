"""Rate limits on public writes, per client address (fixed window, in the cache).

Buckets, each ``"<count>/<s|m|h>"`` in ``settings.TERRITOIRE["RATE_LIMITS"]``:
``api_write``, ``login``, ``staff_write``, ``public_write``. A module counts writes (POST,
PUT, PATCH, DELETE) in a bucket in two ways:

- by path, in its manifest (``RateLimitedPaths``): the API's writes under ``/api/``, sign-ins
  (paths ending in ``/login/``), the staff figure pages (``…/saisir/``, ``…/importer/``),
  every POST under ``/open311/``;
- by view, with ``@rate_limited("public_write")`` (resident reports, votes, sign-ups,
  "+1"…). A bucket name of its own works too, once it is configured in ``RATE_LIMITS``.

Reads (GET, HEAD, OPTIONS) are not limited by the middleware; a view may count them
itself with ``check(request, bucket)`` (the address search, ``address_lookup``). Over the limit the answer is 429 with a
``Retry-After`` header (seconds until the window ends), in the error shape the path's
module declares (``core.responses.edge_error``), a short page elsewhere.

The counters live in Django's default cache. The local-memory cache of development is
per process: in production the cache must be shared (Redis, Memcached or the database
cache) so that every web worker counts the same requests.

The client is ``REMOTE_ADDR``, unless that address is listed in
``settings.TERRITOIRE["TRUSTED_PROXIES"]``: then it is the right-most address of
``X-Forwarded-For`` that is not a trusted proxy (the left part of the header is written by
the client and cannot be believed).
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.translation import ngettext

from territoire.core import modules
from territoire.core.responses import edge_error

DEFAULT_RATE_LIMITS: dict[str, str] = {
    "api_write": "60/m",
    "login": "10/m",
    "staff_write": "30/m",
    "public_write": "10/m",
    # Reads that cost a query per keystroke (the address search of the report form).
    "address_lookup": "120/m",
}
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ViewFunction = Callable[..., Any]
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


def parse_rate(text: str) -> Rate:
    """``"60/m"`` → 60 requests per 60 seconds; ``"5/10s"`` → 5 per 10 seconds."""
    try:
        count_text, period = text.strip().split("/", 1)
        period = period.strip().lower()
        multiple = int(period[:-1]) if period[:-1] else 1
        seconds = multiple * _UNITS[period[-1]]
        count = int(count_text)
    except (ValueError, KeyError, IndexError) as exc:
        raise ValueError(f"invalid rate {text!r}; expected e.g. '60/m', '10/s', '100/h'") from exc
    if count < 1 or seconds < 1:
        raise ValueError(f"invalid rate {text!r}: count and period must be positive")
    return Rate(count, seconds)


def bucket_for(request: HttpRequest) -> str | None:
    """The limit that applies to this request, or None for a request that is not limited."""
    if request.method not in WRITE_METHODS:
        return None
    return modules.rate_limit_bucket(request.path_info)


def _networks(entries: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip()]


def _trusted(address: str, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request: HttpRequest) -> str:
    peer = str(request.META.get("REMOTE_ADDR") or "unknown")
    networks = _networks(settings.TERRITOIRE.get("TRUSTED_PROXIES", ()))
    if not networks or not _trusted(peer, networks):
        return peer
    forwarded = [part.strip() for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    for address in reversed([part for part in forwarded if part]):
        if not _trusted(address, networks):
            return address
    return peer


def _limits() -> dict[str, Rate]:
    configured = {**DEFAULT_RATE_LIMITS, **settings.TERRITOIRE.get("RATE_LIMITS", {})}
    return {bucket: parse_rate(text) for bucket, text in configured.items() if text}


def hit(bucket: str, client: str, rate: Rate, now: float | None = None) -> int:
    """Count one request; return 0 when allowed, else the seconds until the window ends."""
    now = time.time() if now is None else now
    window = int(now // rate.seconds)
    key = f"ratelimit:{bucket}:{client}:{rate.seconds}:{window}"
    # add() is atomic on every backend: it creates the counter with the window's lifetime.
    if cache.add(key, 1, timeout=rate.seconds + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.add(key, 1, timeout=rate.seconds + 1)
            count = 1
    if count <= rate.count:
        return 0
    return max(1, math.ceil((window + 1) * rate.seconds - now))


def rate_limited(bucket: str) -> Callable[[ViewFunction], ViewFunction]:
    """Mark a view: its writes (POST, PUT, PATCH, DELETE) count in ``bucket``."""

    def mark(view: ViewFunction) -> ViewFunction:
        view.rate_limit_bucket = bucket  # type: ignore[attr-defined]
        return view

    return mark


def check(request: HttpRequest, bucket: str) -> HttpResponse | None:
    """Count a request in ``bucket`` whatever its method: the 429 answer, or None.

    For the few reads worth limiting (a search on each keystroke); writes are counted by
    the middleware.
    """
    return RateLimitMiddleware._check(request, bucket)


def too_many(request: HttpRequest, retry_after: int) -> HttpResponse:
    response = edge_error(
        request,
        429,
        f"too many requests; retry in {retry_after} s",
        lambda: (
            ngettext(
                "Vous avez envoyé trop de demandes en peu de temps. Réessayez dans %(n)s seconde.",
                "Vous avez envoyé trop de demandes en peu de temps. Réessayez dans %(n)s secondes.",
                retry_after,
            )
            % {"n": retry_after}
        ),
    )
    response["Retry-After"] = str(retry_after)
    return response


class RateLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        bucket = bucket_for(request)
        if bucket is not None:
            request._rate_limited = True  # type: ignore[attr-defined]
            limited = self._check(request, bucket)
            if limited is not None:
                return limited
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: ViewFunction, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        # Views marked with @rate_limited: counted once, even if the path matched too.
        bucket = getattr(view_func, "rate_limit_bucket", None)
        if bucket is None or request.method not in WRITE_METHODS or getattr(request, "_rate_limited", False):
            return None
        return self._check(request, bucket)

    @staticmethod
    def _check(request: HttpRequest, bucket: str) -> HttpResponse | None:
        rate = _limits().get(bucket)
        if rate is None:
            return None
        retry_after = hit(bucket, client_ip(request), rate)
        return too_many(request, retry_after) if retry_after else None
