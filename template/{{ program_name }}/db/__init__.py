"""The database: where it lives, how to connect to it, and how to bring its schema up to
date. Everything that needs the database asks this package: the program, its tests and
migrations/env.py.

    from <program>.db import get_engine, migrate

    migrate()                        # at start-up; a no-op costs next to nothing
    engine = get_engine()            # or get_async_engine(), after await migrate_async()

The URL comes from the variable names.DATABASE_URL_ENV names, a sync or an async driver
alike, or is a SQLite file in the data directory. The modules here are the template's
machinery, one per mechanism; `copier update` keeps them current. names.py holds what
this project's answers named.
"""

from .engines import get_async_engine, get_engine, migration_engine
from .errors import DatabaseError
from .names import DATABASE_URL_ENV
from .naming import naming_convention
from .upgrade import alembic_config, migrate, migrate_async
from .url import data_dir, get_url

__all__ = [
    "DATABASE_URL_ENV",
    "DatabaseError",
    "alembic_config",
    "data_dir",
    "get_async_engine",
    "get_engine",
    "get_url",
    "migrate",
    "migrate_async",
    "migration_engine",
    "naming_convention",
]
