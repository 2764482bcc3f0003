"""The tables the machinery keeps beside the models' own, which no model declares and
no comparison of schemas reads."""

VERSION_TABLE = "alembic_version"
# The revisions applied to the database, and when (applied.py).
HISTORY_TABLE = "alembic_history"
# The progress of each op.batched_update() (backfill.py).
BACKFILL_TABLE = "alembic_backfills"
# What grows with the runs, and differs between two databases of the same schema.
BOOKKEEPING_TABLES = frozenset({HISTORY_TABLE, BACKFILL_TABLE})
MACHINERY_TABLES = BOOKKEEPING_TABLES | {VERSION_TABLE}
