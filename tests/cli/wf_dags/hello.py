"""A tiny DAG for the CLI tests: greet -> shout, with a typed param."""

from edgeweave.workflow.authoring import dag, task


@task
def greet(name: str) -> str:
    print(f"greeting {name}")
    return f"hello {name}"


@task
def shout(text: str) -> str:
    print(text.upper())
    return text.upper()


@dag(tags=["test"])
def hello(name: str = "edge", times: int = 1):
    """Say hello, loudly."""
    shout(greet(name))
