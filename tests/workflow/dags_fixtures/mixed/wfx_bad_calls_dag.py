"""A broken Python DAG: several build-time problems, all reported together."""

from edgeweave.workflow.authoring import dag, task


@task
def resize(image: str, width: int = 64) -> str:
    return image


@task
def save(image: str) -> None:
    return None


@dag
def bad_calls(folder: str = "in", count=None):
    img = resize(folder, hieght=32)
    save(img, "extra")

    def nested() -> None:
        return None

    task(nested)()
