"""The loud message printed when a loader falls back to a stand-in.

It goes to stdout on purpose: nbgrader marks a cell that writes to stderr as failed, and
the point is to inform, not to fail the student's cell.
"""

from __future__ import annotations

import textwrap

from . import mnist_files
from .cifar import ARCHIVE_NAME, BATCHES_DIR
from .locations import CACHE_DIR_ENV, DATA_DIR_ENV, OFFLINE_ENV, cache_folder
from .registry import DatasetSpec

_WIDTH = 78
_RULE = "!" * _WIDTH


def fallback_message(spec: DatasetSpec, standin_description: str, attempts: list[str]) -> str:
    """Multi-line warning: what is missing, what is used instead, how to fix it."""
    return _boxed(
        [
            f"WARNING: the real {spec.title} data set is NOT available on this machine.",
            "",
            f"Using a STAND-IN instead: {standin_description}.",
            "",
            f"Accuracies on the stand-in are NOT comparable with published {spec.title} results "
            f"or with classmates who have the real data. Code that runs here runs on the real data too.",
            "",
            *_where_and_how(spec, attempts),
        ]
    )


def unavailable_message(spec: DatasetSpec, problem: str, attempts: list[str]) -> str:
    """Message for when neither the real data nor a stand-in can be had."""
    return _boxed(
        [
            f"The real {spec.title} data set is NOT available on this machine, and its stand-in "
            f"cannot be built: {problem}.",
            "",
            *_where_and_how(spec, attempts),
        ]
    )


def _where_and_how(spec, attempts):
    files = _expected_files(spec)
    return [
        "Where the real files were looked for:",
        *[f"  - {attempt}" for attempt in attempts],
        "",
        "To use the real data, do one of:",
        f"  * set {DATA_DIR_ENV}=/some/folder and put {files} in /some/folder/{spec.name}/ "
        f"(or set {spec.env_var} to the folder holding them);",
        f"  * copy the official {files} into {cache_folder(spec)} (the cache, set by {CACHE_DIR_ENV});",
        f"  * run once with internet access and without {OFFLINE_ENV}=1: the files are "
        "downloaded to the cache and checked.",
    ]


def _boxed(lines):
    body = []
    for line in lines:
        # Wrapped list items line up under their first word.
        indent = " " * (len(line) - len(line.lstrip(" -*")))
        body.extend(
            textwrap.wrap(
                line, _WIDTH - 3, subsequent_indent=indent, break_on_hyphens=False, break_long_words=False
            )
            or [""]
        )
    return "\n".join([_RULE, *(f"!! {text}".rstrip() for text in body), _RULE])


def _expected_files(spec: DatasetSpec) -> str:
    if spec.name == "cifar10":
        return f"{ARCHIVE_NAME} (or its extracted {BATCHES_DIR}/ folder)"
    return ", ".join(stem + ".gz" for stem in mnist_files.STEMS)
