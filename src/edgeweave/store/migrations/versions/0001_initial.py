"""Initial schema: dag, dag_run, task_instance, task_log, task_result, pool.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from edgeweave.store.tables import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dag",
        sa.Column("dag_id", sa.String(250), primary_key=True),
        sa.Column("fileloc", sa.Text(), nullable=True),
        sa.Column("is_paused", sa.Boolean(), nullable=False),
        sa.Column("schedule", sa.String(100), nullable=True),
        sa.Column("last_parsed", UTCDateTime(), nullable=True),
    )
    op.create_table(
        "dag_run",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("dag_id", sa.String(250), nullable=False),
        sa.Column("run_id", sa.String(250), nullable=False, unique=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("trigger_source", sa.String(50), nullable=False),
        sa.Column("logical_date", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_dag_run_dag_state", "dag_run", ["dag_id", "state"])
    op.create_index("ix_dag_run_state", "dag_run", ["state"])
    op.create_table(
        "task_instance",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("run_pk", sa.Integer(), sa.ForeignKey("dag_run.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("task_id", sa.String(250), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("try_number", sa.Integer(), nullable=False),
        sa.Column("max_tries", sa.Integer(), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("queued_at", UTCDateTime(), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("duration", sa.Float(), nullable=True),
        sa.Column("hostname", sa.String(250), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("scheduler_id", sa.String(250), nullable=True),
        sa.Column("heartbeat_at", UTCDateTime(), nullable=True),
        sa.Column("next_retry_at", UTCDateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
    )
    op.create_index("uq_task_instance_run_task", "task_instance", ["run_pk", "task_id"], unique=True)
    op.create_index("ix_task_instance_state", "task_instance", ["state"])
    op.create_table(
        "task_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("ti_id", sa.Integer(), sa.ForeignKey("task_instance.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("try_number", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("stream", sa.String(10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_task_log_ti_try_seq", "task_log", ["ti_id", "try_number", "seq"])
    op.create_table(
        "task_result",
        sa.Column("ti_id", sa.Integer(), sa.ForeignKey("task_instance.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("try_number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("artifact_key", sa.String(200), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
    )
    op.create_table(
        "pool",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("slots", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    for table in ("pool", "task_result", "task_log", "task_instance", "dag_run", "dag"):
        op.drop_table(table)
