"""Writes to the spine: measurements (recorded, imported, computed, aggregated) and targets.

Every path goes through ``validate_rows`` and ``store_rows``: the CSV import, the API,
the computation of registered indicators and the aggregation to the organisation.
One module per step: ``validation`` (values, rows, the CSV format), ``storage``
(versioned figures, targets), ``recording`` (figures of a person or an integration),
``computed`` (registered indicators), ``aggregation`` (communes into the organisation).
"""

from territoire.indicators.services.aggregation import aggregate_to_organisation
from territoire.indicators.services.computed import ComputeSummary, compute_all, sync_registry
from territoire.indicators.services.recording import import_csv, record_figures
from territoire.indicators.services.storage import StoreSummary, set_target, store_rows
from territoire.indicators.services.validation import (
    CSV_COLUMNS,
    MAX_ABS_VALUE,
    QUANTUM,
    SIGNIFICANT,
    CleanRow,
    MeasurementInputError,
    RowError,
    parse_date,
    parse_value,
    read_csv,
    round_value,
    validate_rows,
)

__all__ = [
    "CSV_COLUMNS",
    "MAX_ABS_VALUE",
    "QUANTUM",
    "SIGNIFICANT",
    "CleanRow",
    "ComputeSummary",
    "MeasurementInputError",
    "RowError",
    "StoreSummary",
    "aggregate_to_organisation",
    "compute_all",
    "import_csv",
    "parse_date",
    "parse_value",
    "read_csv",
    "record_figures",
    "round_value",
    "set_target",
    "store_rows",
    "sync_registry",
    "validate_rows",
]
