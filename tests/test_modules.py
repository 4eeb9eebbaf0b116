"""What the installed modules declare, as the core reads it (core.modules)."""

from __future__ import annotations

from django.test import RequestFactory

from territoire.core import modules
from territoire.core.scheduler import jobs


def test_modules_are_read_in_the_order_of_installed_apps() -> None:
    assert [m.label for m in modules.installed()] == [
        "territory",
        "indicators",
        "roadmap",
        "reports",
        "participation",
        "legal",
        "api",
        "accounts",
        "demo",
    ]
    assert "core" not in modules.labels()


def test_the_published_apps_are_the_spine() -> None:
    # The legal information is published too: a change empties the pages' cache.
    assert modules.published_apps() == {"territory", "indicators", "roadmap", "legal"}
    assert modules.data_version_keys() == ["reports", "participation"]


def test_paths_are_rate_limited_by_declaration_prefixes_first() -> None:
    assert modules.rate_limit_bucket("/api/v1/measurements") == "api_write"
    assert modules.rate_limit_bucket("/open311/v2/requests.json") == "public_write"
    assert modules.rate_limit_bucket("/admin/login/") == "login"
    assert modules.rate_limit_bucket("/t/200000001/importer/") == "staff_write"
    # A path under /api/ that ends like a staff page is still an API write.
    assert modules.rate_limit_bucket("/api/v1/x/importer/") == "api_write"
    assert modules.rate_limit_bucket("/t/200000001/signalements/nouveau/") is None


def test_errors_at_the_edge_take_the_shape_the_module_declares() -> None:
    factory = RequestFactory()
    api = modules.edge_error_shape("/api/v1/organisations")
    assert api is not None
    assert api(factory.get("/api/v1/organisations"), 429, "slow down").content == (
        b'{"detail": "slow down", "errors": []}'
    )
    open311 = modules.edge_error_shape("/open311/v2/requests.xml")
    assert open311 is not None
    assert (
        b"<errors><error><code>429</code>"
        in open311(factory.get("/open311/v2/requests.xml"), 429, "x").content
    )
    assert modules.edge_error_shape("/t/200000001/") is None


def test_the_scheduler_reads_the_periodic_jobs_of_the_manifests() -> None:
    assert set(jobs()) == {
        "indicators.compute",
        "reports.process_queue",
        "participation.compute_closed_envelopes",
    }
    assert jobs()["reports.process_queue"].every_minutes() == 5


def test_existing_modules_declare_their_exports_processings_and_late_items() -> None:
    exports = {export.name: label for label, export in modules.exports()}
    assert exports == {
        "indicators.series": "indicators",
        "indicators.series_json": "indicators",
        "indicators.series_spreadsheet": "indicators",
        "indicators.all": "indicators",
        "indicators.all_spreadsheet": "indicators",
        "participation.pabulib": "participation",
    }
    processings = {p.name: label for label, p in modules.processings()}
    assert processings == {
        "reports.requesters": "reports",
        "reports.supporters": "reports",
        "participation.participants": "participation",
        "participation.census": "participation",
    }
    assert [item.name for _label, item in modules.late_items()] == ["reports.overdue"]
    for _label, item in modules.late_items():
        assert callable(modules.resolve(item.count))
