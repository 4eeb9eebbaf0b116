from __future__ import annotations

# The module's subscribers (a real module keeps them in its models).
SUBSCRIBERS: set[str] = set()


def export_subscriber(email: str) -> dict[str, object]:
    return {"subscribed": email in SUBSCRIBERS}


def erase_subscriber(email: str) -> int:
    if email in SUBSCRIBERS:
        SUBSCRIBERS.discard(email)
        return 1
    return 0
