"""bench/wsgi_count.py, the in-process driver of the instruction counts (run here without valgrind)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

# bench/ is not a package: its directory is put on the path above.
import wsgi_count

pytestmark = pytest.mark.django_db


def test_the_driver_runs_the_requests_and_counts_only_after_the_warm_up(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[tuple[str, str]] = []
    real_call = wsgi_count.call

    def watched(application, method: str, path: str, body: bytes) -> str:  # type: ignore[no-untyped-def]
        calls.append((method, path))
        return real_call(application, method, path, body)

    monkeypatch.setattr(wsgi_count, "call", watched)
    monkeypatch.setattr(wsgi_count, "instrument", lambda on: calls.append(("switch", str(on))))
    assert wsgi_count.main(["--get", "/healthz/live", "--warmup", "2", "--count", "3"]) == 0
    assert calls == [
        ("GET", "/healthz/live"),
        ("GET", "/healthz/live"),
        ("switch", "True"),
        *[("GET", "/healthz/live")] * 3,
        ("switch", "False"),
    ]


def test_the_driver_fails_on_an_answer_that_is_not_2xx(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(wsgi_count, "instrument", lambda on: None)
    requests = tmp_path / "requests.tsv"
    requests.write_text(
        "GET\t/healthz/live\nPOST\t/open311/v2/requests.json\tservice_code=x\n", encoding="utf-8"
    )
    assert wsgi_count.main(["--requests", str(requests), "--warmup", "0", "--count", "2"]) == 1
    assert "POST /open311/v2/requests.json: 4" in capsys.readouterr().err
