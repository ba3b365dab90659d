"""Command-line interface (typer); see ``main.py``."""
