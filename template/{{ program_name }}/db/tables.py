"""The tables the machinery keeps beside the models' own, which no model declares and
no comparison of schemas reads."""

VERSION_TABLE = "alembic_version"
# The revisions applied to the database, and when (applied.py).
HISTORY_TABLE = "alembic_history"
MACHINERY_TABLES = frozenset({VERSION_TABLE, HISTORY_TABLE})
