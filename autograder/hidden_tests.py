"""Hidden tests in a notebook's source: the regions nbgrader's markers enclose."""

# nbgrader's default delimiters (ClearHiddenTests), which the kit's sources use.
BEGIN_HIDDEN, END_HIDDEN = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
PLACEHOLDER = "# (hidden tests ran here; their code is not shown)"


def hide_tests(source: str) -> str:
    """``source`` with each hidden-test region (markers included) replaced by PLACEHOLDER.

    A region without its END marker is hidden to the end of the cell: better too much
    hidden than a hidden test shown.
    """
    kept, hiding = [], False
    for line in source.splitlines():
        if not hiding and BEGIN_HIDDEN in line:
            hiding = True
            kept.append(line[: len(line) - len(line.lstrip())] + PLACEHOLDER)
        elif hiding:
            hiding = END_HIDDEN not in line
        else:
            kept.append(line)
    return "\n".join(kept)
