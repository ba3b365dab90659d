"""``edgeweave device`` (this machine's profile) and ``edgeweave zoo list``."""

from __future__ import annotations

import typer
from rich.table import Table

from edgeweave.cli.console import make_console

console = make_console()
zoo_app = typer.Typer(no_args_is_help=True, help="Real pretrained models that ship with packages.")


def device(peak: bool = typer.Option(False, "--peak", help="also measure the GEMM peak")) -> None:
    """Show the device profile: CPU, ISA flags, memory, GPUs, installed runtimes."""
    from edgeweave.runtime.backends import available_backends, backend_names, get_backend
    from edgeweave.runtime.device import detect_device

    d = detect_device()
    console.print(f"[bold]{d.cpu_model}[/] ({d.arch}), {d.physical_cores} physical / "
                  f"{d.logical_cores} logical cores, {d.memory_gb} GB")
    console.print(f"ISA: {', '.join(d.isa) or '-'}")
    console.print(f"GPUs: {', '.join(d.gpus) or 'none'}")
    table = Table("backend", "available", "install")
    ok = set(available_backends(d))
    for name in backend_names():
        table.add_row(name, "yes" if name in ok else "no",
                      "" if name in ok else get_backend(name).install_hint)
    console.print(table)
    if peak:
        from edgeweave.runtime.peak import machine_peak_gflops

        console.print(f"FP32 GEMM peak: {machine_peak_gflops(d, refresh=True):.1f} GFLOP/s")


@zoo_app.command("list")
def zoo_list() -> None:
    """List bundled real models usable as zoo:NAME."""
    from edgeweave.models.zoo import list_zoo

    table = Table("name", "description", "default shape", "accuracy metric")
    for e in list_zoo():
        table.add_row(f"zoo:{e.name}", e.description,
                      ", ".join(f"{k}={'x'.join(map(str, v))}" for k, v in e.shapes.items()),
                      e.metric or "-")
    console.print(table)
