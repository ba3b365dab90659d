"""The ``edgeweave`` command: one typer app; each command group lives in its own module.

``main()`` turns every EdgeWeaveError into a red message, a hint and the exit code from
``errors.py``; nothing reaches the user as a bare traceback.
"""

from __future__ import annotations

import os
import sys

import typer

from edgeweave.cli.console import make_console
from edgeweave.errors import EdgeWeaveError, exit_code

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="EdgeWeave: measured model optimization for edge devices.")
err_console = make_console(stderr=True)


def _register() -> None:
    from edgeweave.cli import device_cmd, inspect_cmd, optimize_cmd, serve_cmd, users_cmd, workflow_cmd

    app.command("inspect")(inspect_cmd.inspect)
    app.command("optimize")(optimize_cmd.optimize)
    app.command("device")(device_cmd.device)
    app.add_typer(device_cmd.zoo_app, name="zoo")
    app.add_typer(workflow_cmd.dags_app, name="dags")
    app.command("trigger")(workflow_cmd.trigger)
    app.add_typer(workflow_cmd.runs_app, name="runs")
    app.add_typer(workflow_cmd.tasks_app, name="tasks")
    app.command("scheduler")(workflow_cmd.scheduler)
    app.command("serve")(serve_cmd.serve)
    app.add_typer(users_cmd.users_app, name="users")


_register()


def main(argv: list[str] | None = None) -> int:
    """Entry point for the console script; returns the process exit code."""
    try:
        app(args=argv, prog_name="edgeweave")  # standalone: typer prints usage errors
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except EdgeWeaveError as exc:
        err_console.print(f"[bold red]error:[/] {exc.message}", highlight=False)
        if exc.hint:
            err_console.print(f"[yellow]hint:[/] {exc.hint}", highlight=False)
        return exit_code(exc)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130
    except Exception as exc:  # a bug of ours: say so plainly, keep the trace for debugging
        if os.environ.get("EDGEWEAVE_DEBUG"):
            raise
        err_console.print(f"[bold red]internal error:[/] {type(exc).__name__}: {exc}",
                          highlight=False)
        err_console.print("[yellow]hint:[/] rerun with EDGEWEAVE_DEBUG=1 for the traceback "
                          "and report it")
        return 70
    return 0


if __name__ == "__main__":
    sys.exit(main())
