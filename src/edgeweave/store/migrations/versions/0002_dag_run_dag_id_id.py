"""Index dag_run (dag_id, id): a DAG's newest runs without sorting all of its runs.

The runs list filtered by DAG, the Grid view and the DAG list's recent states all ask for
"the last N runs of this DAG"; (dag_id, state) could not serve that order. task_instance
(run_pk, task_id) is already covered by the unique index uq_task_instance_run_task.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_dag_run_dag_id_id", "dag_run", ["dag_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_dag_run_dag_id_id", table_name="dag_run")
