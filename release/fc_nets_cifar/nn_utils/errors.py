"""The one exception checkers raise."""


class CheckFailure(AssertionError):
    """A check found a mistake in student code.

    The message names the function, the tensor and the likely mistake. It subclasses
    AssertionError so that notebooks and nbgrader treat it like any failed assertion.
    """


def fail(where: str, problem: str, hint: str | None = None, details=()) -> None:
    """Raise CheckFailure with a message in the kit's layout.

    Args:
        where: the student function, e.g. "Affine.backward".
        problem: what is wrong, naming the tensor, e.g. "d_weight is wrong".
        hint: the likely mistake, phrased as advice.
        details: further lines (shapes, worst entries).
    """
    lines = [f"{where}: {problem}"]
    if hint:
        lines.append(f"  Likely mistake: {hint}")
    lines.extend(f"  {line}" for line in details)
    raise CheckFailure("\n".join(lines))
