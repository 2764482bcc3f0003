"""pytest-alembic's standard checks of the migration history.

Imported by name rather than enabled with --test-alembic, which fails to collect on
recent pytest versions.
"""

from pytest_alembic.tests import (
    test_model_definitions_match_ddl,
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)

__all__ = [
    "test_model_definitions_match_ddl",
    "test_single_head_revision",
    "test_up_down_consistency",
    "test_upgrade",
]
