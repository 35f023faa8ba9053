"""A notebook as one Markdown document for pandoc, its pictures as files beside it.

Markdown cells go in as they are, with three fixes for what pandoc cannot reach: images
(cell attachments, ``data:`` URIs, files beside the notebook) are written into the
``media`` folder and linked from there, LaTeX environments that Jupyter's MathJax
typesets without ``$$`` get them, and headings that are not questions are marked
``{.unlisted}`` (so that only questions become PDF bookmarks). Code cells become fenced
``python`` blocks and their outputs ``output`` blocks or images. Written answers start
with a page break and a bookmarked heading, as raw Typst.
"""

from __future__ import annotations

import base64
import re
import shutil
import struct
from pathlib import Path

import nbformat

from .questions import (Heading, enclosing_level, heading_lines, is_written_answer, nbgrader,
                        question_headings)

# The text width the Typst preamble gives a page (A4 is 595pt wide; margins of 50pt).
TEXT_WIDTH_PT = 495
# Jupyter shows a PNG at one image pixel per CSS pixel, 96 per inch: 0.75pt each.
PT_PER_PIXEL = 0.75
IMAGE_TYPES = {"image/png": ".png", "image/jpeg": ".jpg", "image/svg+xml": ".svg",
               "image/gif": ".gif"}
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
MARKDOWN_IMAGE = re.compile(r"(!\[[^\]]*\]\()\s*<?([^)\s>]+)>?((?:\s+\"[^\"]*\")?\s*\))")
DATA_URI = re.compile(r"data:(image/[a-z+]+);base64,(.*)", re.DOTALL)
BARE_ENVIRONMENT = re.compile(
    r"(?<!\$)(\\begin\{(equation|align|gather|multline|eqnarray)\*?\}.*?\\end\{\2\*?\})",
    re.DOTALL)


def typst_string(text: str) -> str:
    """``text`` as a Typst string literal."""
    text = "".join(c for c in text if c >= " " or c == "\n")  # Typst has no other escapes
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def fenced(text: str, info: str) -> str:
    """A fenced code block that no run of backticks inside ``text`` can close."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text.rstrip()}\n{fence}"


def raw_typst(code: str) -> str:
    """A block that pandoc copies into its Typst output untouched."""
    return fenced(code, "{=typst}")


def png_width(data: bytes) -> int | None:
    """A PNG's width in pixels, from its header; None for anything else."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">I", data[16:20])[0]
    return None


def image_block(link: str, data: bytes) -> str:
    """Raw Typst that shows an output image at its size on screen, never wider than the
    page."""
    pixels = png_width(data)
    width = (f"{min(TEXT_WIDTH_PT, pixels * PT_PER_PIXEL):.1f}pt" if pixels
             else f"{TEXT_WIDTH_PT}pt")
    return raw_typst(f"#align(center, image({typst_string(link)}, width: {width}))")


class Media:
    """The folder that the document's images are written into, under fresh names."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def write(self, data: bytes, suffix: str) -> Path:
        self.count += 1
        path = self.folder / f"image-{self.count}{suffix}"
        path.write_bytes(data)
        return path

    def link(self, path: Path) -> str:
        """How the Markdown names ``path`` (relative, as Typst reads from its root)."""
        return path.relative_to(self.folder.parent).as_posix()


def _decoded(value, mime: str) -> bytes:
    """An output's or attachment's image data as bytes (SVG comes as text)."""
    if isinstance(value, list):
        value = "".join(value)
    if mime == "image/svg+xml":
        return value.encode()
    return base64.b64decode(value)


def _markdown_image_target(target: str, cell, media: Media, notebook_folder: Path) -> str:
    """Where a Markdown image link should point so that Typst can read the image."""
    if target.startswith("attachment:"):
        bundle = (cell.get("attachments") or {}).get(target[len("attachment:"):], {})
        for mime, suffix in IMAGE_TYPES.items():
            if mime in bundle:
                return media.link(media.write(_decoded(bundle[mime], mime), suffix))
        return target
    data_uri = DATA_URI.fullmatch(target)
    if data_uri and data_uri.group(1) in IMAGE_TYPES:
        data = _decoded(data_uri.group(2), data_uri.group(1))
        return media.link(media.write(data, IMAGE_TYPES[data_uri.group(1)]))
    beside = notebook_folder / target
    if "://" not in target and beside.is_file():
        copy = media.write(b"", beside.suffix)
        shutil.copyfile(beside, copy)
        return media.link(copy)
    return target


def _with_images(source: str, cell, media: Media, notebook_folder: Path) -> str:
    def relink(match):
        target = _markdown_image_target(match.group(2), cell, media, notebook_folder)
        return f"{match.group(1)}{target}{match.group(3)}"

    return MARKDOWN_IMAGE.sub(relink, source)


def _with_unlisted_headings(source: str, listed_lines: set[int]) -> str:
    """``source`` with every heading not in ``listed_lines`` marked ``{.unlisted}``."""
    lines = source.splitlines()
    for number, (level, text) in heading_lines(source).items():
        if number not in listed_lines and not text.rstrip().endswith("}"):
            lines[number] = f"{'#' * level} {text} {{.unlisted}}"
    return "\n".join(lines)


def markdown_cell(cell, index: int, questions: list[Heading], media: Media,
                  notebook_folder: Path) -> str:
    """A Markdown cell for pandoc (see the module's docstring)."""
    listed = {h.line for h in questions if h.cell == index}
    source = _with_unlisted_headings(cell.source, listed)
    source = BARE_ENVIRONMENT.sub(lambda m: f"\n$$\n{m.group(1)}\n$$\n", source)
    return _with_images(source, cell, media, notebook_folder)


def answer_heading(cell, index: int, questions: list[Heading]) -> str:
    """Raw Typst that puts a written answer on a new page under a bookmarked heading,
    one level below its question's."""
    meta = nbgrader(cell)
    what = "Task" if meta.get("task") else "Answer"
    points = meta.get("points")
    title = f"{what}: {meta.get('grade_id', f'cell {index}')}"
    if points is not None:
        title += f" ({points:g} {'point' if points == 1 else 'points'})"
    level = min(6, enclosing_level(questions, index) + 1)
    return raw_typst(f"#pagebreak(weak: true)\n"
                     f"#heading(level: {level}, outlined: true)[#{typst_string(title)}]")


def output_blocks(output, media: Media) -> list[str]:
    """One output of a code cell: an image, or its text."""
    if output.output_type == "stream":
        return [fenced(output.text, "output")]
    if output.output_type == "error":
        return [fenced(ANSI_ESCAPE.sub("", "\n".join(output.traceback)), "output")]
    data = output.get("data", {})
    for mime, suffix in IMAGE_TYPES.items():
        if mime in data:
            image = _decoded(data[mime], mime)
            return [image_block(media.link(media.write(image, suffix)), image)]
    text = data.get("text/plain")
    if text:
        return [fenced("".join(text) if isinstance(text, list) else text, "output")]
    return []


def merged_streams(outputs: list) -> list:
    """``outputs`` with each run of text printed to the same stream as one output: a
    kernel sends one per flush, and each would otherwise be a block of its own."""
    merged = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (output.output_type == "stream" and previous is not None
                and previous.output_type == "stream" and previous.name == output.name):
            previous.text += output.text
        else:
            merged.append(nbformat.from_dict(dict(output)))
    return merged


def code_cell(cell, media: Media) -> list[str]:
    """A code cell's source (when it has any) and its outputs."""
    blocks = [fenced(cell.source, "python")] if cell.source.strip() else []
    for output in merged_streams(cell.get("outputs", [])):
        blocks += output_blocks(output, media)
    return blocks


def notebook_markdown(notebook: nbformat.NotebookNode, media: Media,
                      notebook_folder: Path) -> str:
    """The whole notebook as pandoc Markdown (commonmark_x), images written to ``media``."""
    questions = question_headings(notebook)
    blocks = []
    for index, cell in enumerate(notebook.cells):
        if is_written_answer(cell):
            blocks.append(answer_heading(cell, index, questions))
        if cell.cell_type == "markdown":
            blocks.append(markdown_cell(cell, index, questions, media, notebook_folder))
        elif cell.cell_type == "code":
            blocks += code_cell(cell, media)
    return "\n\n".join(blocks) + "\n"
