"""Workflows: DAGs of AI tasks, triggers, the scheduler and its executors."""
