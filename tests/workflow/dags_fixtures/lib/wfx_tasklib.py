"""Plain task functions referenced by path from YAML fixtures."""


def double(x: int = 1) -> int:
    return 2 * x


def total(values: list) -> int:
    return sum(values)
