"""A real application's schema, ported for the template's tests only.

Ported from Apache Airflow, the workflow scheduler (https://github.com/apache/airflow,
licensed under the Apache License 2.0), at commit
aa19d2dbb9ed187ec01957a92848d9b005e9ba9d, the commit that the 3.3.2 release of
apache-airflow-core names in its airflow/git_version. Airflow runs on PostgreSQL, MySQL
and SQLite from the same SQLAlchemy 2 models. The tables, columns, types, constraints
and indexes come from airflow-core/src/airflow/: models/base.py, utils/sqlalchemy.py,
models/team.py, models/dagbundle.py, models/dag.py, models/dag_version.py,
models/dagcode.py, models/serialized_dag.py, models/dagwarning.py, models/errors.py,
models/tasklog.py, models/backfill.py, models/dagrun.py, models/trigger.py,
models/taskinstance.py, models/taskinstancehistory.py, models/taskreschedule.py,
models/taskmap.py, models/xcom.py, models/renderedtifields.py, models/log.py,
jobs/job.py, models/pool.py, models/crypto.py, models/connection.py,
models/variable.py, models/callback.py and models/asset.py. This is a rewrite of that
schema for test data, not Airflow's code.

Kept as Airflow has them: its types (UtcDateTime: TIMESTAMP WITH TIME ZONE that refuses
naive values and reads back UTC; ExtendedJSON: a Text-based decorator that is JSONB on
PostgreSQL and JSON elsewhere; ExecutorConfigType: a PickleType subclass; StringID:
String(250); sa.Uuid, which Airflow itself uses at this commit in place of
sqlalchemy_utils.UUIDType), JSON().with_variant(postgresql.JSONB, "postgresql"),
a Text column that is String(5000) on SQLite, LargeBinary, a naive DateTime where
Airflow has one (task_instance_history.trigger_timeout), and a non-native Enum
(dag_run.triggered_by, VARCHAR(50) holding member names). Also its explicit constraint
and index names (one of them, "dag.dag_id", has a dot in it), composite primary keys,
composite foreign keys onto dag_run(dag_id, run_id) and task_instance(dag_id, task_id,
run_id, map_index), some with onupdate="CASCADE", a composite foreign key onto a unique
index rather than a constraint (asset_active -> asset(name, uri)), the partial indexes
on dag_run with postgresql_where and sqlite_where, an index with a DESC column
(task_reschedule), sqlite_autoincrement tables, a CHECK (task_map), unique=True and
index=True columns, an association table whose columns take their type from their
foreign keys, ondelete CASCADE / SET NULL / RESTRICT / NO ACTION, Airflow's server
defaults as it writes them ("0" on booleans, sa.true(), "-1", "not_started"), and
the columns that point at other tables with no foreign key at all
(dag_run.dag_id, xcom.dag_run_id, log, job, backfill.dag_id, asset_event.asset_id).

Changed in porting: MySQL-only details are gone (StringID's collation, the
latin1_general_cs variants of the asset name and URI columns, the MEDIUMTEXT and
Text(5000) variants, UtcDateTime's TIMESTAMP(fsp=6) and naive binding on MySQL).
Attributes are named as their columns; Airflow maps several to private attributes
behind properties (_state, _val, _password, _extra, _data, kwargs as encrypted_kwargs).
ExtendedJSON stores plain JSON (Airflow runs values through its BaseSerialization), and
ExecutorConfigType pickles with pickle (Airflow passes pickler=dill and re-serializes a
Kubernetes pod_override). Airflow's Python-side column defaults stay where they are
plain Core defaults, with uuid.uuid4 for uuid6.uuid7 (uuid6 is a package of its own),
True for dag.is_paused (a configuration value in Airflow) and none for
dag_run.log_template_id (a SELECT max(id) in Airflow). The constraints and indexes that
Airflow leaves unnamed take the template's naming convention, not Airflow's
(idx_%(column_0_N_label)s, %(table_name)s_%(column_0_N_name)s_uq,
%(table_name)s_%(column_0_name)s_fkey, %(table_name)s_pkey); the CHECK comes out as
ck_task_map_task_map_length_not_negative under both.

Airflow's models and its Alembic migrations differ in places: its migrations build
idx_task_reschedule_ti_id_id_desc with raw CREATE INDEX on SQLite and MySQL; the one
that gave task_instance its UUID key creates a PL/pgSQL uuid_generate_v7() to fill the
ids of existing rows; and Airflow's test that models and migrations agree compares
types and server defaults with its own functions and ignores every server default
difference.

Left out: the relationships, association proxies, hybrid properties, validators,
reconstructors, __init__ logic, the polymorphic mapping of callback, LoggingMixin and
the abstract TaskInstanceDependencies base (every table here that derives from it
declares its four columns again); and 24 of Airflow's 57 tables: dag_bundle_team,
asset_alias with asset_alias_asset and asset_alias_asset_event, asset_watcher, the
name, URI and alias schedule references, task_inlet_asset_reference,
asset_partition_dag_run, partitioned_asset_key_log, dag_run_note, task_instance_note,
backfill_dag_run, deadline, deadline_alert, hitl_detail, hitl_detail_history,
dag_favorite, dag_priority_parsing_request, connection_test_request, revoked_token,
asset_state_store and task_state_store. Airflow 3 has no task_fail (dropped in 3.0),
no dataset tables (renamed to asset in 3.0) and no callback_request (renamed to
callback and restructured in 3.2). It has no native enums.
"""

import datetime as dt
import enum
import uuid
from typing import Any

import sqlalchemy as sa
from myapp.models import Base
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column

ID_LEN = 250


def StringID(*, length: int = ID_LEN, **kwargs: Any) -> sa.String:
    """Airflow's id columns: String(250), with a binary collation on MySQL only."""
    return sa.String(length=length, **kwargs)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class UtcDateTime(sa.TypeDecorator):
    """Airflow's timestamps: TIMESTAMP WITH TIME ZONE that refuses naive datetimes,
    stores UTC and always reads back an aware UTC datetime, even on SQLite."""

    impl = sa.TIMESTAMP(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            raise TypeError(f"expected datetime.datetime, not {value!r}")
        if value.tzinfo is None:
            raise ValueError("naive datetime is disallowed")
        return value.astimezone(dt.timezone.utc)

    def process_result_value(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                value = value.replace(tzinfo=dt.timezone.utc)
            else:
                value = value.astimezone(dt.timezone.utc)
        return value


class ExtendedJSON(sa.TypeDecorator):
    """Airflow's JSON column for serialized values: JSONB on PostgreSQL, JSON
    elsewhere, declared over Text."""

    impl = sa.Text
    cache_ok = True
    should_evaluate_none = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.JSONB())
        return dialect.type_descriptor(sa.JSON())


class ExecutorConfigType(sa.PickleType):
    """Airflow's pickled executor_config."""

    cache_ok = True


class DagRunTriggeredByType(enum.Enum):
    CLI = "cli"
    OPERATOR = "operator"
    REST_API = "rest_api"
    UI = "ui"
    TEST = "test"
    TIMETABLE = "timetable"
    ASSET = "asset"
    BACKFILL = "backfill"


def default_run_after(context) -> dt.datetime:
    """dag_run.run_after: the data interval's end, else the logical date, else now."""
    params = context.get_current_parameters()
    return params.get("data_interval_end") or params.get("logical_date") or utcnow()


# Teams and bundles


class Team(Base):
    __tablename__ = "team"

    name: Mapped[str] = mapped_column(sa.String(50), primary_key=True)


class DagBundleModel(Base):
    __tablename__ = "dag_bundle"

    name: Mapped[str] = mapped_column(StringID(length=250), primary_key=True)
    active: Mapped[bool | None] = mapped_column(sa.Boolean, default=True)
    version: Mapped[str | None] = mapped_column(sa.String(200))
    last_refreshed: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    signed_url_template: Mapped[str | None] = mapped_column(sa.Text)
    template_params: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON())


# Dags


class DagModel(Base):
    __tablename__ = "dag"
    __table_args__ = (
        sa.Index("idx_next_dagrun_create_after", "next_dagrun_create_after"),
    )

    dag_id: Mapped[str] = mapped_column(StringID(), primary_key=True)
    is_paused: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    is_stale: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    exceeds_max_non_backfill: Mapped[bool] = mapped_column(
        sa.Boolean, default=False, server_default="0"
    )
    last_parsed_time: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    last_parse_duration: Mapped[float | None] = mapped_column(sa.Float)
    last_expired: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    fileloc: Mapped[str | None] = mapped_column(sa.String(2000))
    relative_fileloc: Mapped[str | None] = mapped_column(sa.String(2000))
    bundle_name: Mapped[str] = mapped_column(
        StringID(), sa.ForeignKey("dag_bundle.name")
    )
    bundle_version: Mapped[str | None] = mapped_column(sa.String(200))
    owners: Mapped[str | None] = mapped_column(sa.String(2000))
    dag_display_name: Mapped[str | None] = mapped_column(sa.String(2000))
    description: Mapped[str | None] = mapped_column(sa.Text)
    timetable_type: Mapped[str] = mapped_column(sa.String(255), default="")
    timetable_summary: Mapped[str | None] = mapped_column(sa.Text)
    timetable_description: Mapped[str | None] = mapped_column(sa.String(1000))
    timetable_partitioned: Mapped[bool] = mapped_column(sa.Boolean, server_default="0")
    timetable_periodic: Mapped[bool] = mapped_column(sa.Boolean, server_default="0")
    # No server default: MySQL refuses literal defaults on JSON columns.
    partition_mapper_info: Mapped[list[Any]] = mapped_column(sa.JSON(), default=list)
    asset_expression: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON())
    deadline: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON())
    max_active_tasks: Mapped[int] = mapped_column(sa.Integer)
    max_active_runs: Mapped[int | None] = mapped_column(sa.Integer)
    max_consecutive_failed_dag_runs: Mapped[int] = mapped_column(sa.Integer)
    has_task_concurrency_limits: Mapped[bool] = mapped_column(sa.Boolean)
    has_import_errors: Mapped[bool | None] = mapped_column(
        sa.Boolean(), default=False, server_default="0"
    )
    fail_fast: Mapped[bool] = mapped_column(
        sa.Boolean, default=False, server_default="0"
    )
    allowed_run_types: Mapped[list[str] | None] = mapped_column(sa.JSON())
    next_dagrun: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    next_dagrun_data_interval_start: Mapped[dt.datetime | None] = mapped_column(
        UtcDateTime
    )
    next_dagrun_data_interval_end: Mapped[dt.datetime | None] = mapped_column(
        UtcDateTime
    )
    next_dagrun_partition_key: Mapped[str | None] = mapped_column(sa.String(255))
    next_dagrun_partition_date: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    next_dagrun_create_after: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class DagTag(Base):
    __tablename__ = "dag_tag"
    __table_args__ = (sa.Index("idx_dag_tag_dag_id", "dag_id"),)

    name: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    dag_id: Mapped[str] = mapped_column(
        StringID(),
        sa.ForeignKey("dag.dag_id", name="dag_tag_dag_id_fkey", ondelete="CASCADE"),
        primary_key=True,
    )


class DagOwnerAttributes(Base):
    __tablename__ = "dag_owner_attributes"

    dag_id: Mapped[str] = mapped_column(
        StringID(),
        # Airflow's name for this foreign key, dot included.
        sa.ForeignKey("dag.dag_id", name="dag.dag_id", ondelete="CASCADE"),
        primary_key=True,
    )
    owner: Mapped[str] = mapped_column(sa.String(500), primary_key=True)
    link: Mapped[str] = mapped_column(sa.String(500))


class DagVersion(Base):
    __tablename__ = "dag_version"
    __table_args__ = (
        sa.UniqueConstraint(
            "dag_id", "version_number", name="dag_id_v_name_v_number_unique_constraint"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid(), primary_key=True, default=uuid.uuid4
    )
    version_number: Mapped[int] = mapped_column(sa.Integer, default=1)
    dag_id: Mapped[str] = mapped_column(
        StringID(), sa.ForeignKey("dag.dag_id", ondelete="CASCADE")
    )
    bundle_name: Mapped[str | None] = mapped_column(StringID())
    bundle_version: Mapped[str | None] = mapped_column(StringID())
    version_data: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON())
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_updated: Mapped[dt.datetime] = mapped_column(
        UtcDateTime, default=utcnow, onupdate=utcnow
    )


class DagCode(Base):
    __tablename__ = "dag_code"

    id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid(), primary_key=True, default=uuid.uuid4
    )
    dag_id: Mapped[str] = mapped_column(sa.String(ID_LEN))
    fileloc: Mapped[str] = mapped_column(sa.String(2000))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_updated: Mapped[dt.datetime] = mapped_column(
        UtcDateTime, default=utcnow, onupdate=utcnow
    )
    source_code: Mapped[str] = mapped_column(sa.Text())
    source_code_hash: Mapped[str] = mapped_column(sa.String(32))
    dag_version_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid(), sa.ForeignKey("dag_version.id", ondelete="CASCADE"), unique=True
    )


class SerializedDagModel(Base):
    __tablename__ = "serialized_dag"

    id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid(), primary_key=True, default=uuid.uuid4
    )
    dag_id: Mapped[str] = mapped_column(sa.String(ID_LEN))
    data: Mapped[dict[str, Any] | None] = mapped_column(
        sa.JSON().with_variant(postgresql.JSONB, "postgresql")
    )
    data_compressed: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_updated: Mapped[dt.datetime] = mapped_column(
        UtcDateTime, default=utcnow, onupdate=utcnow
    )
    dag_hash: Mapped[str] = mapped_column(sa.String(32))
    dag_version_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid(), sa.ForeignKey("dag_version.id", ondelete="CASCADE"), unique=True
    )


class DagWarning(Base):
    __tablename__ = "dag_warning"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["dag_id"], ["dag.dag_id"], name="dcw_dag_id_fkey", ondelete="CASCADE"
        ),
        sa.Index("idx_dag_warning_dag_id", "dag_id"),
    )

    dag_id: Mapped[str] = mapped_column(StringID(), primary_key=True)
    warning_type: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    message: Mapped[str] = mapped_column(sa.Text)
    timestamp: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class ParseImportError(Base):
    __tablename__ = "import_error"

    id: Mapped[int] = mapped_column(primary_key=True)
    timestamp: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    filename: Mapped[str | None] = mapped_column(sa.String(1024))
    bundle_name: Mapped[str | None] = mapped_column(StringID())
    stacktrace: Mapped[str | None] = mapped_column(sa.Text)


# Runs


class LogTemplate(Base):
    __tablename__ = "log_template"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    filename: Mapped[str] = mapped_column(sa.Text)
    elasticsearch_id: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class Backfill(Base):
    __tablename__ = "backfill"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    # No foreign key to dag, as in Airflow.
    dag_id: Mapped[str] = mapped_column(StringID())
    from_date: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    to_date: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    dag_run_conf: Mapped[dict[str, Any]] = mapped_column(sa.JSON(), default=dict)
    is_paused: Mapped[bool | None] = mapped_column(sa.Boolean, default=False)
    reprocess_behavior: Mapped[str] = mapped_column(StringID(), default="none")
    max_active_runs: Mapped[int] = mapped_column(sa.Integer, default=10)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UtcDateTime, default=utcnow, onupdate=utcnow
    )
    triggering_user_name: Mapped[str | None] = mapped_column(sa.String(512))


class DagRun(Base):
    __tablename__ = "dag_run"
    __table_args__ = (
        sa.Index("dag_id_state", "dag_id", "state"),
        sa.UniqueConstraint("dag_id", "run_id", name="dag_run_dag_id_run_id_key"),
        sa.UniqueConstraint(
            "dag_id", "logical_date", name="dag_run_dag_id_logical_date_key"
        ),
        sa.Index("idx_dag_run_dag_id", "dag_id"),
        sa.Index("idx_dag_run_run_after", "run_after"),
        sa.Index("idx_dag_run_created_dag_version_id", "created_dag_version_id"),
        sa.Index(
            "idx_dag_run_running_dags",
            "state",
            "dag_id",
            postgresql_where=sa.text("state='running'"),
            sqlite_where=sa.text("state='running'"),
        ),
        # MySQL has no partial indexes: there it is a plain duplicate.
        sa.Index(
            "idx_dag_run_queued_dags",
            "state",
            "dag_id",
            postgresql_where=sa.text("state='queued'"),
            sqlite_where=sa.text("state='queued'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key to dag, as in Airflow.
    dag_id: Mapped[str] = mapped_column(StringID())
    queued_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    logical_date: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    start_date: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    end_date: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    state: Mapped[str | None] = mapped_column(sa.String(50), default="queued")
    run_id: Mapped[str] = mapped_column(StringID())
    creating_job_id: Mapped[int | None] = mapped_column(sa.Integer)
    run_type: Mapped[str] = mapped_column(sa.String(50))
    triggered_by: Mapped[DagRunTriggeredByType | None] = mapped_column(
        sa.Enum(DagRunTriggeredByType, native_enum=False, length=50)
    )
    triggering_user_name: Mapped[str | None] = mapped_column(sa.String(512))
    conf: Mapped[dict[str, Any] | None] = mapped_column(
        sa.JSON().with_variant(postgresql.JSONB, "postgresql")
    )
    data_interval_start: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    data_interval_end: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    run_after: Mapped[dt.datetime] = mapped_column(
        UtcDateTime, default=default_run_after
    )
    last_scheduling_decision: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    log_template_id: Mapped[int | None] = mapped_column(
        sa.Integer,
        sa.ForeignKey(
            "log_template.id",
            name="task_instance_log_template_id_fkey",
            ondelete="NO ACTION",
        ),
    )
    created_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime | None] = mapped_column(
        UtcDateTime, default=utcnow, onupdate=utcnow
    )
    clear_number: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    backfill_id: Mapped[int | None] = mapped_column(
        sa.Integer, sa.ForeignKey("backfill.id")
    )
    bundle_version: Mapped[str | None] = mapped_column(StringID())
    scheduled_by_job_id: Mapped[int | None] = mapped_column(sa.Integer)
    context_carrier: Mapped[dict[str, Any] | None] = mapped_column(ExtendedJSON)
    span_status: Mapped[str] = mapped_column(
        sa.String(250), server_default="not_started"
    )
    created_dag_version_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.Uuid(),
        sa.ForeignKey(
            "dag_version.id", name="created_dag_version_id_fkey", ondelete="set null"
        ),
    )
    partition_key: Mapped[str | None] = mapped_column(StringID())
    partition_date: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


# Task instances


class Trigger(Base):
    __tablename__ = "trigger"

    id: Mapped[int] = mapped_column(primary_key=True)
    classpath: Mapped[str] = mapped_column(sa.String(1000))
    # Encrypted in Airflow.
    kwargs: Mapped[str] = mapped_column(sa.Text)
    created_date: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    triggerer_id: Mapped[int | None] = mapped_column(sa.Integer)
    queue: Mapped[str | None] = mapped_column(sa.String(256))
    team_name: Mapped[str | None] = mapped_column(
        sa.String(50), sa.ForeignKey("team.name", ondelete="SET NULL"), index=True
    )


class TaskInstance(Base):
    __tablename__ = "task_instance"
    __table_args__ = (
        sa.Index("ti_dag_state", "dag_id", "state"),
        sa.Index("ti_dag_run", "dag_id", "run_id"),
        sa.Index("ti_state", "state"),
        sa.Index("ti_state_lkp", "dag_id", "task_id", "run_id", "state"),
        sa.Index("ti_pool", "pool", "state", "priority_weight"),
        sa.Index("ti_trigger_id", "trigger_id"),
        sa.Index("ti_heartbeat", "last_heartbeat_at"),
        sa.Index("ti_dag_version_id", "dag_version_id"),
        sa.PrimaryKeyConstraint("id", name="task_instance_pkey"),
        sa.UniqueConstraint(
            "dag_id",
            "task_id",
            "run_id",
            "map_index",
            name="task_instance_composite_key",
        ),
        sa.ForeignKeyConstraint(
            ["trigger_id"],
            ["trigger.id"],
            name="task_instance_trigger_id_fkey",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["dag_id", "run_id"],
            ["dag_run.dag_id", "dag_run.run_id"],
            name="task_instance_dag_run_fkey",
            ondelete="CASCADE",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid(), primary_key=True, default=uuid.uuid4
    )
    task_id: Mapped[str] = mapped_column(StringID())
    dag_id: Mapped[str] = mapped_column(StringID())
    run_id: Mapped[str] = mapped_column(StringID())
    map_index: Mapped[int] = mapped_column(sa.Integer, server_default="-1")
    start_date: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    end_date: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    duration: Mapped[float | None] = mapped_column(sa.Float)
    state: Mapped[str | None] = mapped_column(sa.String(20))
    try_number: Mapped[int] = mapped_column(sa.Integer, default=0)
    max_tries: Mapped[int] = mapped_column(sa.Integer, server_default="-1")
    hostname: Mapped[str | None] = mapped_column(sa.String(1000))
    unixname: Mapped[str | None] = mapped_column(sa.String(1000))
    pool: Mapped[str] = mapped_column(sa.String(256))
    pool_slots: Mapped[int] = mapped_column(sa.Integer, default=1)
    queue: Mapped[str | None] = mapped_column(sa.String(256))
    priority_weight: Mapped[int | None] = mapped_column(sa.Integer)
    operator: Mapped[str | None] = mapped_column(sa.String(1000))
    custom_operator_name: Mapped[str | None] = mapped_column(sa.String(1000))
    queued_dttm: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    scheduled_dttm: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    queued_by_job_id: Mapped[int | None] = mapped_column(sa.Integer)
    last_heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    pid: Mapped[int | None] = mapped_column(sa.Integer)
    executor: Mapped[str | None] = mapped_column(sa.String(1000))
    executor_config: Mapped[Any] = mapped_column(ExecutorConfigType(), nullable=True)
    updated_at: Mapped[dt.datetime | None] = mapped_column(
        UtcDateTime, default=utcnow, onupdate=utcnow
    )
    rendered_map_index: Mapped[str | None] = mapped_column(sa.String(250))
    context_carrier: Mapped[dict[str, Any] | None] = mapped_column(ExtendedJSON)
    span_status: Mapped[str] = mapped_column(
        sa.String(250), server_default="not_started"
    )
    external_executor_id: Mapped[str | None] = mapped_column(sa.Text())
    trigger_id: Mapped[int | None] = mapped_column(sa.Integer)
    trigger_timeout: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    next_method: Mapped[str | None] = mapped_column(sa.String(1000))
    next_kwargs: Mapped[dict[str, Any] | None] = mapped_column(
        sa.JSON().with_variant(postgresql.JSONB, "postgresql")
    )
    task_display_name: Mapped[str | None] = mapped_column(sa.String(2000))
    dag_version_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.Uuid(), sa.ForeignKey("dag_version.id", ondelete="RESTRICT")
    )
    retry_delay_override: Mapped[float | None] = mapped_column(sa.Float)
    retry_reason: Mapped[str | None] = mapped_column(sa.String(500))


class TaskInstanceHistory(Base):
    __tablename__ = "task_instance_history"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["dag_id", "task_id", "run_id", "map_index"],
            [
                "task_instance.dag_id",
                "task_instance.task_id",
                "task_instance.run_id",
                "task_instance.map_index",
            ],
            name="task_instance_history_ti_fkey",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        sa.UniqueConstraint(
            "dag_id",
            "task_id",
            "run_id",
            "map_index",
            "try_number",
            name="task_instance_history_dtrt_uq",
        ),
        sa.Index("idx_tih_dag_run", "dag_id", "run_id"),
    )

    task_instance_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid(), primary_key=True)
    task_id: Mapped[str] = mapped_column(StringID())
    dag_id: Mapped[str] = mapped_column(StringID())
    run_id: Mapped[str] = mapped_column(StringID())
    map_index: Mapped[int] = mapped_column(sa.Integer, server_default="-1")
    try_number: Mapped[int] = mapped_column(sa.Integer)
    start_date: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    end_date: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    duration: Mapped[float | None] = mapped_column(sa.Float)
    state: Mapped[str | None] = mapped_column(sa.String(20))
    max_tries: Mapped[int | None] = mapped_column(sa.Integer, server_default="-1")
    hostname: Mapped[str | None] = mapped_column(sa.String(1000))
    unixname: Mapped[str | None] = mapped_column(sa.String(1000))
    pool: Mapped[str] = mapped_column(sa.String(256))
    pool_slots: Mapped[int] = mapped_column(sa.Integer, default=1)
    queue: Mapped[str | None] = mapped_column(sa.String(256))
    priority_weight: Mapped[int | None] = mapped_column(sa.Integer)
    operator: Mapped[str | None] = mapped_column(sa.String(1000))
    custom_operator_name: Mapped[str | None] = mapped_column(sa.String(1000))
    queued_dttm: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    scheduled_dttm: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    queued_by_job_id: Mapped[int | None] = mapped_column(sa.Integer)
    pid: Mapped[int | None] = mapped_column(sa.Integer)
    executor: Mapped[str | None] = mapped_column(sa.String(1000))
    executor_config: Mapped[Any] = mapped_column(ExecutorConfigType(), nullable=True)
    updated_at: Mapped[dt.datetime | None] = mapped_column(
        UtcDateTime, default=utcnow, onupdate=utcnow
    )
    rendered_map_index: Mapped[str | None] = mapped_column(sa.String(250))
    context_carrier: Mapped[dict[str, Any] | None] = mapped_column(ExtendedJSON)
    span_status: Mapped[str] = mapped_column(
        sa.String(250), server_default="not_started"
    )
    external_executor_id: Mapped[str | None] = mapped_column(sa.Text())
    trigger_id: Mapped[int | None] = mapped_column(sa.Integer)
    # A naive DateTime here, where task_instance has UtcDateTime: as in Airflow.
    trigger_timeout: Mapped[dt.datetime | None] = mapped_column(sa.DateTime)
    next_method: Mapped[str | None] = mapped_column(sa.String(1000))
    next_kwargs: Mapped[dict[str, Any] | None] = mapped_column(
        sa.JSON().with_variant(postgresql.JSONB, "postgresql")
    )
    task_display_name: Mapped[str | None] = mapped_column(sa.String(2000))
    # No foreign key: a try outlives the dag version it ran.
    dag_version_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid())
    retry_delay_override: Mapped[float | None] = mapped_column(sa.Float)
    retry_reason: Mapped[str | None] = mapped_column(sa.String(500))


class TaskReschedule(Base):
    __tablename__ = "task_reschedule"

    id: Mapped[int] = mapped_column(primary_key=True)
    ti_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid(),
        sa.ForeignKey(
            "task_instance.id", ondelete="CASCADE", name="task_reschedule_ti_fkey"
        ),
    )
    start_date: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    end_date: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    duration: Mapped[int] = mapped_column(sa.Integer)
    reschedule_date: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    __table_args__ = (sa.Index("idx_task_reschedule_ti_id_id_desc", ti_id, id.desc()),)


class TaskMap(Base):
    __tablename__ = "task_map"
    __table_args__ = (
        sa.CheckConstraint("length >= 0", name="task_map_length_not_negative"),
        sa.ForeignKeyConstraint(
            ["dag_id", "task_id", "run_id", "map_index"],
            [
                "task_instance.dag_id",
                "task_instance.task_id",
                "task_instance.run_id",
                "task_instance.map_index",
            ],
            name="task_map_task_instance_fkey",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
    )

    dag_id: Mapped[str] = mapped_column(sa.String(ID_LEN), primary_key=True)
    task_id: Mapped[str] = mapped_column(sa.String(ID_LEN), primary_key=True)
    run_id: Mapped[str] = mapped_column(sa.String(ID_LEN), primary_key=True)
    map_index: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    length: Mapped[int] = mapped_column(sa.Integer)
    keys: Mapped[list[Any] | None] = mapped_column(ExtendedJSON)


class XComModel(Base):
    __tablename__ = "xcom"
    __table_args__ = (
        # Unique over (key, dag_id, task_id, run_id) would pass MySQL's index length
        # limit: Airflow indexes key alone and keys the rows by dag_run.id instead.
        sa.Index("idx_xcom_key", "key"),
        sa.Index("idx_xcom_task_instance", "dag_id", "task_id", "run_id", "map_index"),
        sa.PrimaryKeyConstraint(
            "dag_run_id", "task_id", "map_index", "key", name="xcom_pkey"
        ),
        sa.ForeignKeyConstraint(
            ["dag_id", "task_id", "run_id", "map_index"],
            [
                "task_instance.dag_id",
                "task_instance.task_id",
                "task_instance.run_id",
                "task_instance.map_index",
            ],
            name="xcom_task_instance_fkey",
            ondelete="CASCADE",
        ),
    )

    # No foreign key to dag_run, as in Airflow.
    dag_run_id: Mapped[int] = mapped_column(sa.Integer(), primary_key=True)
    task_id: Mapped[str] = mapped_column(sa.String(ID_LEN), primary_key=True)
    map_index: Mapped[int] = mapped_column(
        sa.Integer, primary_key=True, server_default="-1"
    )
    key: Mapped[str] = mapped_column(sa.String(512), primary_key=True)
    dag_result: Mapped[bool | None] = mapped_column(sa.Boolean, default=False)
    dag_id: Mapped[str] = mapped_column(sa.String(ID_LEN))
    run_id: Mapped[str] = mapped_column(sa.String(ID_LEN))
    value: Mapped[Any] = mapped_column(
        sa.JSON().with_variant(postgresql.JSONB, "postgresql"), nullable=True
    )
    timestamp: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class RenderedTaskInstanceFields(Base):
    __tablename__ = "rendered_task_instance_fields"
    __table_args__ = (
        sa.PrimaryKeyConstraint(
            "dag_id",
            "task_id",
            "run_id",
            "map_index",
            name="rendered_task_instance_fields_pkey",
        ),
        sa.ForeignKeyConstraint(
            ["dag_id", "task_id", "run_id", "map_index"],
            [
                "task_instance.dag_id",
                "task_instance.task_id",
                "task_instance.run_id",
                "task_instance.map_index",
            ],
            name="rtif_ti_fkey",
            ondelete="CASCADE",
        ),
    )

    dag_id: Mapped[str] = mapped_column(StringID(), primary_key=True)
    task_id: Mapped[str] = mapped_column(StringID(), primary_key=True)
    run_id: Mapped[str] = mapped_column(StringID(), primary_key=True)
    map_index: Mapped[int] = mapped_column(
        sa.Integer, primary_key=True, server_default="-1"
    )
    rendered_fields: Mapped[dict[str, Any]] = mapped_column(sa.JSON())
    k8s_pod_yaml: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON())


# Audit, jobs and configuration


class Log(Base):
    __tablename__ = "log"
    __table_args__ = (
        sa.Index("idx_log_dttm", "dttm"),
        sa.Index("idx_log_event", "event"),
        sa.Index(
            "idx_log_task_instance",
            "dag_id",
            "task_id",
            "run_id",
            "map_index",
            "try_number",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dttm: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    dag_id: Mapped[str | None] = mapped_column(StringID())
    task_id: Mapped[str | None] = mapped_column(StringID())
    map_index: Mapped[int | None] = mapped_column(sa.Integer)
    event: Mapped[str] = mapped_column(sa.String(60))
    logical_date: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    run_id: Mapped[str | None] = mapped_column(StringID())
    owner: Mapped[str | None] = mapped_column(sa.String(500))
    owner_display_name: Mapped[str | None] = mapped_column(sa.String(500))
    extra: Mapped[str | None] = mapped_column(sa.Text)
    try_number: Mapped[int | None] = mapped_column(sa.Integer)


class Job(Base):
    __tablename__ = "job"
    __table_args__ = (
        sa.Index("job_type_heart", "job_type", "latest_heartbeat"),
        sa.Index("idx_job_state_heartbeat", "state", "latest_heartbeat"),
        sa.Index("idx_job_dag_id", "dag_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dag_id: Mapped[str | None] = mapped_column(sa.String(ID_LEN))
    state: Mapped[str | None] = mapped_column(sa.String(20))
    job_type: Mapped[str | None] = mapped_column(sa.String(30))
    start_date: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    end_date: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    latest_heartbeat: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    executor_class: Mapped[str | None] = mapped_column(sa.String(500))
    hostname: Mapped[str | None] = mapped_column(sa.String(500))
    unixname: Mapped[str | None] = mapped_column(sa.String(1000))


class Pool(Base):
    __tablename__ = "slot_pool"

    id: Mapped[int] = mapped_column(primary_key=True)
    pool: Mapped[str | None] = mapped_column(sa.String(256), unique=True)
    # -1 for unlimited slots.
    slots: Mapped[int] = mapped_column(sa.Integer, default=0)
    description: Mapped[str | None] = mapped_column(sa.Text)
    include_deferred: Mapped[bool] = mapped_column(sa.Boolean)
    team_name: Mapped[str | None] = mapped_column(
        sa.String(50), sa.ForeignKey("team.name", ondelete="SET NULL")
    )


class Connection(Base):
    __tablename__ = "connection"

    id: Mapped[int] = mapped_column(sa.Integer(), primary_key=True)
    conn_id: Mapped[str] = mapped_column(sa.String(ID_LEN), unique=True)
    conn_type: Mapped[str] = mapped_column(sa.String(500))
    description: Mapped[str | None] = mapped_column(
        sa.Text().with_variant(sa.String(5000), "sqlite")
    )
    host: Mapped[str | None] = mapped_column(sa.String(500))
    schema: Mapped[str | None] = mapped_column(sa.String(500))
    login: Mapped[str | None] = mapped_column(sa.Text())
    port: Mapped[int | None] = mapped_column(sa.Integer())
    team_name: Mapped[str | None] = mapped_column(
        sa.String(50), sa.ForeignKey("team.name", ondelete="SET NULL")
    )
    # From Airflow's FernetFieldsMixin: Fernet-encrypted when the flags say so.
    password: Mapped[str | None] = mapped_column(sa.Text())
    extra: Mapped[str | None] = mapped_column(sa.Text())
    is_encrypted: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    is_extra_encrypted: Mapped[bool] = mapped_column(sa.Boolean, default=False)


class Variable(Base):
    __tablename__ = "variable"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(ID_LEN), unique=True)
    val: Mapped[str] = mapped_column(sa.Text())
    description: Mapped[str | None] = mapped_column(sa.Text)
    is_encrypted: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    team_name: Mapped[str | None] = mapped_column(
        sa.String(50), sa.ForeignKey("team.name", ondelete="SET NULL")
    )


class Callback(Base):
    __tablename__ = "callback"

    id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid(), primary_key=True, default=uuid.uuid4
    )
    # Airflow's polymorphic identity: "callback", "dag_processor", "executor", ...
    type: Mapped[str] = mapped_column(sa.String(20))
    fetch_method: Mapped[str] = mapped_column(sa.String(20))
    data: Mapped[dict[str, Any]] = mapped_column(ExtendedJSON)
    bundle_name: Mapped[str | None] = mapped_column(StringID())
    state: Mapped[str | None] = mapped_column(sa.String(10))
    output: Mapped[str | None] = mapped_column(sa.Text)
    priority_weight: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    trigger_id: Mapped[int | None] = mapped_column(
        sa.Integer, sa.ForeignKey("trigger.id")
    )


# Assets


class AssetModel(Base):
    __tablename__ = "asset"
    __table_args__ = (
        sa.Index("idx_asset_name_uri_unique", "name", "uri", unique=True),
        # Ids are never reused, so an old event cannot point at a new asset.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(sa.String(length=1500))
    uri: Mapped[str] = mapped_column(sa.String(length=1500))
    group: Mapped[str] = mapped_column(sa.String(length=1500), default="")
    extra: Mapped[dict[str, Any]] = mapped_column(sa.JSON(), default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UtcDateTime, default=utcnow, onupdate=utcnow
    )


class AssetActive(Base):
    """The assets in use: name and URI each unique among them, which asset does not
    require of all its rows."""

    __tablename__ = "asset_active"
    __table_args__ = (
        sa.PrimaryKeyConstraint("name", "uri", name="asset_active_pkey"),
        # Refers to asset's unique index on (name, uri): there is no constraint.
        sa.ForeignKeyConstraint(
            ["name", "uri"],
            ["asset.name", "asset.uri"],
            name="asset_active_asset_name_uri_fkey",
            ondelete="CASCADE",
        ),
        sa.Index("idx_asset_active_name_unique", "name", unique=True),
        sa.Index("idx_asset_active_uri_unique", "uri", unique=True),
    )

    name: Mapped[str] = mapped_column(sa.String(length=1500), primary_key=True)
    uri: Mapped[str] = mapped_column(sa.String(length=1500), primary_key=True)


class AssetEvent(Base):
    __tablename__ = "asset_event"
    __table_args__ = (
        sa.Index("idx_asset_id_timestamp", "asset_id", "timestamp"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    # No foreign keys: events outlive their asset and their task instance.
    asset_id: Mapped[int] = mapped_column(sa.Integer)
    extra: Mapped[dict[str, Any]] = mapped_column(sa.JSON(), default=dict)
    source_task_id: Mapped[str | None] = mapped_column(StringID())
    source_dag_id: Mapped[str | None] = mapped_column(StringID())
    source_run_id: Mapped[str | None] = mapped_column(StringID())
    source_map_index: Mapped[int | None] = mapped_column(
        sa.Integer, server_default="-1"
    )
    timestamp: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    partition_key: Mapped[str | None] = mapped_column(StringID())


# The runs an event started. The columns take their types from their foreign keys.
dagrun_asset_event = sa.Table(
    "dagrun_asset_event",
    Base.metadata,
    sa.Column(
        "dag_run_id", sa.ForeignKey("dag_run.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "event_id",
        sa.ForeignKey("asset_event.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Index("idx_dagrun_asset_events_dag_run_id", "dag_run_id"),
    sa.Index("idx_dagrun_asset_events_event_id", "event_id"),
)


class DagScheduleAssetReference(Base):
    __tablename__ = "dag_schedule_asset_reference"
    __table_args__ = (
        sa.PrimaryKeyConstraint("asset_id", "dag_id", name="dsar_pkey"),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["asset.id"], name="dsar_asset_fkey", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["dag_id"], ["dag.dag_id"], name="dsar_dag_id_fkey", ondelete="CASCADE"
        ),
        sa.Index("idx_dag_schedule_asset_reference_dag_id", "dag_id"),
    )

    asset_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    dag_id: Mapped[str] = mapped_column(StringID(), primary_key=True)
    allow_producer_teams: Mapped[list[str] | None] = mapped_column(sa.JSON())
    allow_global_producers: Mapped[bool] = mapped_column(
        sa.Boolean(), server_default=sa.true()
    )
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UtcDateTime, default=utcnow, onupdate=utcnow
    )


class TaskOutletAssetReference(Base):
    __tablename__ = "task_outlet_asset_reference"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["asset_id"], ["asset.id"], name="toar_asset_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("asset_id", "dag_id", "task_id", name="toar_pkey"),
        sa.ForeignKeyConstraint(
            ["dag_id"], ["dag.dag_id"], name="toar_dag_id_fkey", ondelete="CASCADE"
        ),
        sa.Index("idx_task_outlet_asset_reference_dag_id", "dag_id"),
    )

    asset_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    dag_id: Mapped[str] = mapped_column(StringID(), primary_key=True)
    task_id: Mapped[str] = mapped_column(StringID(), primary_key=True)
    allow_consumer_teams: Mapped[list[str] | None] = mapped_column(sa.JSON())
    allow_global_consumers: Mapped[bool] = mapped_column(
        sa.Boolean(), server_default=sa.true()
    )
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UtcDateTime, default=utcnow, onupdate=utcnow
    )


class AssetDagRunQueue(Base):
    __tablename__ = "asset_dag_run_queue"
    __table_args__ = (
        sa.PrimaryKeyConstraint(
            "asset_id", "target_dag_id", name="assetdagrunqueue_pkey"
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["asset.id"], name="adrq_asset_fkey", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["target_dag_id"], ["dag.dag_id"], name="adrq_dag_fkey", ondelete="CASCADE"
        ),
        sa.Index("idx_asset_dag_run_queue_target_dag_id", "target_dag_id"),
    )

    asset_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    target_dag_id: Mapped[str] = mapped_column(StringID(), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
