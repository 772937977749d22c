"""production: job records, the PostgreSQL job queue, constraints behind key rules

* ``job_record``: one row per job done (or refused), unique on its natural key.
* PostgreSQL only: procrastinate's job queue schema, from the installed
  procrastinate (pinned to one minor version in ``pyproject.toml``).
* Resource assignments: a period does not end before it starts, and a resource's
  periods never overlap (exclusion constraint on PostgreSQL, triggers on SQLite).
* ``settlement_run``: one run per trade date and statement kind.
* PostgreSQL only: every journal entry of both ledgers sums to zero, checked
  at commit by deferred constraint triggers (the services check it before
  writing on both databases).

Revision ID: 0014_production
Revises: 0013
Create Date: 2026-11-25 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from procrastinate.schema import SchemaManager

import gridmarket.db.base

revision: str = "0014_production"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEDGERS = ("ledger_posting", "billing_posting")

# Periods are half-open [from, to); an open period runs to infinity.
SQLITE_OVERLAP = """
CREATE TRIGGER resource_assignment_no_overlap_{event}
BEFORE {event} ON resource_assignment
WHEN EXISTS (
    SELECT 1 FROM resource_assignment AS other
    WHERE other.resource_pk = NEW.resource_pk AND other.id IS NOT NEW.id
      AND (other.effective_to_utc IS NULL OR other.effective_to_utc > NEW.effective_from_utc)
      AND (NEW.effective_to_utc IS NULL OR NEW.effective_to_utc > other.effective_from_utc))
BEGIN
    SELECT RAISE(ABORT, 'resource assignment overlaps another assignment of the resource');
END
"""

# A range of one integer stands for the resource, so no extension (btree_gist) is needed.
POSTGRES_OVERLAP = """
ALTER TABLE resource_assignment ADD CONSTRAINT ex_resource_assignment_overlap
EXCLUDE USING gist (
    int4range(resource_pk, resource_pk, '[]') WITH &&,
    tstzrange(effective_from_utc, effective_to_utc, '[)') WITH &&)
"""

POSTGRES_BALANCE_FUNCTION = """
CREATE FUNCTION journal_entry_balances() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    entry integer := CASE WHEN TG_OP = 'DELETE' THEN OLD.entry_id ELSE NEW.entry_id END;
    total numeric;
BEGIN
    EXECUTE format('SELECT coalesce(sum(amount_usd), 0) FROM %I WHERE entry_id = $1',
                   TG_TABLE_NAME) INTO total USING entry;
    IF total <> 0 THEN
        RAISE EXCEPTION 'journal entry % of % does not balance: its postings sum to %',
            entry, TG_TABLE_NAME, total USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$
"""

POSTGRES_BALANCE_TRIGGER = """
CREATE CONSTRAINT TRIGGER {table}_entry_balances
AFTER INSERT OR UPDATE OR DELETE ON {table}
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW EXECUTE FUNCTION journal_entry_balances()
"""

DROP_JOB_QUEUE = """
DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs,
    procrastinate_workers CASCADE;
DO $$
DECLARE routine record;
BEGIN
    FOR routine IN SELECT p.oid::regprocedure AS signature FROM pg_proc p
            JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%'
    LOOP
        EXECUTE 'DROP ROUTINE ' || routine.signature || ' CASCADE';
    END LOOP;
END $$;
DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_event_type,
    procrastinate_job_status CASCADE;
"""


def _run_script(script: str) -> None:
    """Several statements, sent as they are (no parameter markers interpreted)."""
    driver = op.get_bind().connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor:
        cursor.execute(script)


def upgrade() -> None:
    op.create_table(
        "job_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum("RUNNING", "DONE", "FAILED", name="jobstatus", native_enum=False, length=8),
            nullable=False,
        ),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("finished_at", gridmarket.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_record")),
        sa.UniqueConstraint("kind", "key", name=op.f("uq_job_record_kind")),
    )
    op.drop_index("ix_settlement_run_day", table_name="settlement_run")
    op.create_index("ix_settlement_run_day", "settlement_run", ["trade_date", "kind"],
                    unique=True)
    if op.get_bind().dialect.name == "postgresql":
        _run_script(SchemaManager.get_schema())
        op.create_check_constraint(
            op.f("ck_resource_assignment_period"), "resource_assignment",
            "effective_to_utc IS NULL OR effective_to_utc >= effective_from_utc")
        op.execute(POSTGRES_OVERLAP)
        op.execute(POSTGRES_BALANCE_FUNCTION)
        for table in LEDGERS:
            op.execute(POSTGRES_BALANCE_TRIGGER.format(table=table))
    else:
        with op.batch_alter_table("resource_assignment") as batch:
            batch.create_check_constraint(
                op.f("ck_resource_assignment_period"),
                "effective_to_utc IS NULL OR effective_to_utc >= effective_from_utc")
        for event in ("INSERT", "UPDATE"):
            op.execute(SQLITE_OVERLAP.format(event=event))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in LEDGERS:
            op.execute(f"DROP TRIGGER {table}_entry_balances ON {table}")
        op.execute("DROP FUNCTION journal_entry_balances()")
        op.drop_constraint("ex_resource_assignment_overlap", "resource_assignment")
        op.drop_constraint(op.f("ck_resource_assignment_period"), "resource_assignment")
        _run_script(DROP_JOB_QUEUE)
    else:
        for event in ("INSERT", "UPDATE"):
            op.execute(f"DROP TRIGGER resource_assignment_no_overlap_{event}")
        with op.batch_alter_table("resource_assignment") as batch:
            batch.drop_constraint(op.f("ck_resource_assignment_period"), type_="check")
    op.drop_index("ix_settlement_run_day", table_name="settlement_run")
    op.create_index("ix_settlement_run_day", "settlement_run", ["trade_date", "kind"],
                    unique=False)
    op.drop_table("job_record")
