"""How the models' own column types and server defaults are written into a revision.

Alembic writes a TypeDecorator as its impl's arguments, names what those arguments hold
without importing it, and writes a server default as the SQL of the database it ran
against. A revision must instead call what the models call, imported, so that it runs
on every database. What cannot be written so raises CommandError, which the alembic
command prints as one line, before any file is written.
"""

import enum
import inspect
from typing import Any, Literal

import sqlalchemy as sa
from alembic.autogenerate.api import AutogenContext
from alembic.autogenerate.render import _repr_type
from alembic.ddl.postgresql import PostgresqlImpl
from alembic.util import CommandError
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.sql.elements import False_, True_
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.util import immutabledict

# Defaults that each database writes its own way; func.now() is CURRENT_TIMESTAMP on
# SQLite and now() on PostgreSQL.
PORTABLE_FUNCTIONS = {"now", "current_timestamp", "current_date", "current_time"}

# How Alembic writes PostgreSQL's types when it autogenerates on PostgreSQL: the types
# inside them (ARRAY(Integer()), JSONB(astext_type=Text())) as the revision imports
# them. An impl with no connection: its renderers keep no state, so it serves on any
# database; tests/test_types_proven.py fails if that changes. (SQLAlchemy's dialect
# classes have no annotations.)
_DIALECT = PGDialect()  # type: ignore[no-untyped-call]
_POSTGRESQL_TYPES = PostgresqlImpl(_DIALECT, None, True, False, None, {})


def render_item(
    type_: str, obj: object, autogen_context: AutogenContext
) -> str | Literal[False]:
    """Alembic's render_item hook; False means: render it Alembic's way."""
    if type_ == "type":
        return _render_type(obj, autogen_context)
    if type_ == "server_default" and isinstance(obj, sa.DefaultClause):
        return render_default(obj.arg, autogen_context)
    return False


def _render_type(type_: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    if type_._variant_mapping:
        return with_variants(type_, autogen_context)
    if isinstance(type_, postgresql.ENUM) and not type_.create_type:
        # Its repr drops create_type=False, and the revision creates the type itself.
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        values = ", ".join(repr(value) for value in type_.enums)
        return f"postgresql.ENUM({values}, name={type_.name!r}, create_type=False)"
    if type(type_).__module__.startswith("sqlalchemy.dialects.postgresql"):
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return _POSTGRESQL_TYPES.render_type(type_, autogen_context)
    if not users(type(type_)):
        return False
    name = imported(type(type_), autogen_context)
    if _own(type(type_), "__repr__", sa.types.TypeEngine):
        return f"{name.rsplit('.', 1)[0]}.{type_!r}"  # the user says how to write it
    if _own(type(type_), "__init__", sa.types.TypeEngine):
        return call(name, type_, type(type_), autogen_context)
    impl = type(type_).__dict__.get("impl", getattr(type(type_), "impl", None))
    if isinstance(type_, sa.TypeDecorator) and isinstance(impl, type):
        # TypeDecorator passes its arguments on to the impl class.
        return call(name, type_.impl, impl, autogen_context)
    return f"{name}()"  # an impl instance ignores arguments


def with_variants(
    type_: sa.types.TypeEngine[Any], autogen_context: AutogenContext
) -> str:
    """`type_` and its `.with_variant(...)` calls, each type written by the hook.

    Alembic writes the types inside the variants with its renderer for the database
    it runs on (on SQLite, PostgreSQL's types name types the revision never imports),
    and a type of the user's with variants as the type alone."""
    # A SQLAlchemy internal: variants live in _variant_mapping, which no public API
    # lists; tests/test_types_proven.py fails if that changes.
    base = type_.copy()
    base._variant_mapping = immutabledict()
    text = _repr_type(base, autogen_context)
    for dialect, variant in sorted(type_._variant_mapping.items()):
        text += f".with_variant({_repr_type(variant, autogen_context)}, {dialect!r})"
    return text


def render_default(
    arg: object, autogen_context: AutogenContext
) -> str | Literal[False]:
    """A server default as the construct the models use; False: Alembic's way."""
    if isinstance(arg, True_):
        return "sa.true()"
    if isinstance(arg, False_):
        return "sa.false()"
    if isinstance(arg, sa.ClauseElement) and users(type(arg)):
        # The user's construct, compiled per database (@compiles): never its SQL.
        name = imported(type(arg), autogen_context)
        if _own(type(arg), "__init__", sa.ClauseElement):
            return call(name, arg, type(arg), autogen_context)
        if isinstance(arg, FunctionElement):
            clauses = [_literal(clause) for clause in arg.clauses]
            return f"{name}({', '.join(clauses)})"
        return f"{name}()"
    function = getattr(arg, "name", None)
    if isinstance(arg, FunctionElement) and str(function).lower() in PORTABLE_FUNCTIONS:
        return f"sa.func.{str(function).lower()}()"
    return False


def imported(cls: type, autogen_context: AutogenContext) -> str:
    """`cls`'s dotted name, with its module imported in the revision."""
    autogen_context.imports.add(f"import {cls.__module__}")
    return f"{cls.__module__}.{cls.__qualname__}"


def call(
    name: str, source: object, cls: type[object], autogen_context: AutogenContext
) -> str:
    """`name(...)` with the arguments of cls.__init__, read from `source`'s attributes
    of the same names, as SQLAlchemy's own reprs do, or private (_name) or private to
    a class (_Class__name). An argument with a default that `source` keeps under none
    of those names is left out: the proof of the written type (proof.py) catches what
    that changes."""
    arguments = []
    for parameter in list(inspect.signature(cls.__init__).parameters.values())[1:]:
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        value = kept(source, cls, parameter.name, parameter.default)
        if value is parameter.empty:
            raise CommandError(
                f"Cannot write {cls.__qualname__}(...) into the revision: it keeps no "
                f"attribute '{parameter.name}'. Store each __init__ argument under its "
                "own name, or give the class a __repr__."
            )
        if parameter.default is not parameter.empty:
            if value is parameter.default or _equal(value, parameter.default):
                continue
            arguments.append(f"{parameter.name}={_value(value, autogen_context)}")
        else:
            arguments.append(_value(value, autogen_context))
    return f"{name}({', '.join(arguments)})"


def kept(source: object, cls: type[object], name: str, default: object) -> object:
    """What `source` keeps for `cls.__init__`'s argument `name`, or `default`."""
    mangled = [f"_{klass.__name__.lstrip('_')}__{name}" for klass in cls.__mro__]
    for attribute in [name, f"_{name}", *mangled]:
        value = getattr(source, attribute, _MISSING)
        if value is not _MISSING:
            return value
    return default


_MISSING = object()


def _value(value: object, autogen_context: AutogenContext) -> str:
    if isinstance(value, sa.types.TypeEngine):
        return _repr_type(value, autogen_context)
    if isinstance(value, type) and issubclass(value, sa.types.TypeEngine):
        return _repr_type(value(), autogen_context)
    if isinstance(value, enum.Enum):
        return f"{imported(type(value), autogen_context)}.{value.name}"
    if isinstance(value, type):
        return imported(value, autogen_context)
    if isinstance(value, (list, tuple)):
        items = [_value(item, autogen_context) for item in value]
        if isinstance(value, tuple):
            return f"({', '.join(items)}{',' if len(items) == 1 else ''})"
        return f"[{', '.join(items)}]"
    return repr(value)


def _literal(clause: object) -> str:
    if isinstance(clause, sa.BindParameter):
        return repr(clause.value)
    raise CommandError(
        f"Cannot write the server default {clause} into the revision: give its "
        "construct a __repr__, or write the default in the revision by hand."
    )


def _equal(value: object, default: object) -> bool:
    try:
        return bool(value == default)
    except Exception:  # noqa: BLE001 - SQL expressions do not compare as values
        return False


def users(cls: type) -> bool:
    """True for a class of the user's own, not a library's."""
    return cls.__module__.split(".")[0] not in ("sqlalchemy", "alembic_postgresql_enum")


def _own(cls: type, attribute: str, library_base: type) -> bool:
    """True when a class of the user's, between `cls` and `library_base`, defines
    `attribute`."""
    for klass in cls.__mro__:
        if klass is library_base or not users(klass):
            return False
        if attribute in klass.__dict__:
            return True
    return False
