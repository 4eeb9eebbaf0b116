"""A minimal module, installed by ``tests/test_example_module.py``: the worked example of
docs/architecture.md ("How to add a module"), checked by that test."""
