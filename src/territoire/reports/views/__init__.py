"""Pages of the reports module: ``public`` (residents: form, list, report, statistics)
and ``staff`` (queue, triage, rounds)."""
