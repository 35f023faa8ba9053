"""A planted set for the similarity report: independent work, and disguised copies of it.

Independent documents are the code the tests already hold for each assignment: the
reference solution, each correct alternative (tests/<assignment>_variants.py), and the
seed-style demo student. A copy is one of them disguised as a student hiding a copy would:
every name the code binds renamed, the functions and methods of each cell put in reverse
order, the comments replaced, the layout redone by ``ast.unparse`` and blank lines added;
and one copy per assignment with a helper inlined by hand (INLINED).
"""

from __future__ import annotations

import ast
import builtins
import importlib
import itertools

import nbformat

from autograder.authoring import answer_id, reference_answers, task_of
from autograder.course import KIT_ROOT
from autograder.similarity.documents import Document

ASSIGNMENTS = ("backprop_digits", "two_layer_mnist", "nn_framework", "fc_nets_cifar")


def reference(assignment: str) -> dict[str, str]:
    """{grade_id: code} of the reference solution's code cells, every notebook of the assignment."""
    answers = {}
    for path in sorted((KIT_ROOT / "source" / assignment).glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        code = {answer_id(c) for c in notebook.cells if c.cell_type == "code"}
        answers.update({g: a for g, a in reference_answers(notebook).items() if g in code})
    return answers


def _variants(assignment: str):
    return importlib.import_module(f"{assignment}_variants")


def independent(assignment: str) -> dict[str, dict[str, str]]:
    """{name: {grade_id: code}}: the reference and each whole-cell alternative."""
    found = {"reference": reference(assignment)}
    module = _variants(assignment)
    for name, answers in (getattr(module, "ALTERNATIVES", None) or {}).items():
        found[name] = answers
    if "SEED_STYLE" in vars(module) and not any(a is module.SEED_STYLE for a in found.values()):
        found["seed style"] = module.SEED_STYLE
    return found


def document(name: str, answers: dict[str, str]) -> Document:
    """A document as documents.notebook_parts reads it: the answers grouped by task."""
    parts: dict[str, list[str]] = {}
    for grade_id, code in answers.items():
        parts.setdefault(task_of(grade_id), []).append(code)
    return Document(name, parts)


class _Bound(ast.NodeVisitor):
    """Every name the code binds: functions, classes, arguments, assigned names and
    attributes assigned on ``self``."""

    def __init__(self):
        self.names: set[str] = set()

    def visit_FunctionDef(self, node):
        self.names.add(node.name)
        self.names.update(a.arg for a in [*node.args.posonlyargs, *node.args.args,
                                          *node.args.kwonlyargs] if a.arg != "self")
        self.generic_visit(node)

    def visit_ClassDef(self, node):
        self.names.add(node.name)
        self.generic_visit(node)

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Store):
            self.names.add(node.id)

    def visit_Attribute(self, node):
        if isinstance(node.ctx, ast.Store) and isinstance(node.value, ast.Name) \
                and node.value.id == "self":
            self.names.add(node.attr)
        self.generic_visit(node)


class _Rename(ast.NodeTransformer):
    def __init__(self, mapping: dict[str, str]):
        self.mapping = mapping

    def _new(self, name: str) -> str:
        return self.mapping.get(name, name)

    def visit_FunctionDef(self, node):
        node.name = self._new(node.name)
        for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
            arg.arg = self._new(arg.arg)
        return self.generic_visit(node)

    def visit_ClassDef(self, node):
        node.name = self._new(node.name)
        return self.generic_visit(node)

    def visit_Name(self, node):
        node.id = self._new(node.id)
        return node

    def visit_Attribute(self, node):
        node.attr = self._new(node.attr)
        return self.generic_visit(node)


def _reversed_definitions(body: list) -> list:
    """The statements with each run of consecutive function definitions reversed."""
    out = []
    for is_def, run in itertools.groupby(body, key=lambda s: isinstance(s, ast.FunctionDef)):
        out.extend(reversed(list(run)) if is_def else run)
    return out


def disguise(code: str, salt: str = "x") -> str:
    """``code`` with its names renamed, its definitions reordered and its layout and
    comments changed; it does what ``code`` does (unless the names were the API)."""
    tree = ast.parse(code)
    finder = _Bound()
    finder.visit(tree)
    keep = set(dir(builtins)) | {"np", "self"}
    mapping = {name: f"{salt}_{i}_{name[::-1].lower()}"
               for i, name in enumerate(sorted(finder.names - keep))
               if not name.startswith("__")}
    tree = _Rename(mapping).visit(tree)
    tree.body = _reversed_definitions(tree.body)
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            node.body = _reversed_definitions(node.body)
    lines = []
    for line in ast.unparse(tree).splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("def ", "class ")):
            indent = line[:len(line) - len(stripped)]
            lines += ["", f"{indent}# my own version, written from the lecture notes"]
        lines.append(line)
    return "\n".join(lines) + "\n"


# One helper inlined per assignment: (grade_id of the reference, its call, the helper's body).
INLINED = {
    "backprop_digits": ("feedforward-impl", "        Y_pred = softmax(logits, axis=1)\n",
                        "        e = np.exp(logits - logits.max(axis=1, keepdims=True))\n"
                        "        Y_pred = e / e.sum(axis=1, keepdims=True)\n"),
    "two_layer_mnist": ("q1forward-impl", "    Y1 = sigmoid(Z1)\n",
                        "    Y1 = 1.0 / (1.0 + np.exp(-Z1))\n"),
    "nn_framework": ("fc-impl", "            self._init_parameters(X.shape)\n",
                     "            self.n_in = X.shape[1]\n"
                     "            W = self.init_weights((self.n_in, self.n_out))\n"
                     "            b = np.zeros((1, self.n_out))\n"
                     "            self.parameters = OrderedDict({'W': W, 'b': b})\n"
                     "            self.cache = OrderedDict({'Z': None, 'X': None})\n"
                     "            self.gradients = OrderedDict({'W': np.zeros_like(W), "
                     "'b': np.zeros_like(b)})\n"),
    "fc_nets_cifar": ("affinerelu-impl", "    out, relu_cache = relu_forward(a)\n",
                      "    out, relu_cache = np.maximum(0, a), a\n"),
}


def planted_answers(assignment: str) -> tuple[dict[str, dict[str, str]], set[frozenset]]:
    """The planted set of one assignment as {name: {grade_id: code}}: every independent
    document, a disguised copy of each, and a disguised copy of the reference with a helper
    inlined; and the copy pairs (as frozensets of the two names)."""
    found, copies = {}, set()
    for index, (name, answers) in enumerate(independent(assignment).items()):
        found[name] = answers
        found[f"copy of {name}"] = {grade_id: disguise(code, f"c{index}")
                                    for grade_id, code in answers.items()}
        copies.add(frozenset({name, f"copy of {name}"}))
    grade_id, call, body = INLINED[assignment]
    answers = dict(reference(assignment))
    assert answers[grade_id].count(call) == 1, f"{assignment}: the helper call moved"
    answers[grade_id] = answers[grade_id].replace(call, body)
    inlined = "copy of reference, a helper inlined"
    found[inlined] = {g: disguise(code, "inl") for g, code in answers.items()}
    copies |= {frozenset({"reference", inlined}), frozenset({"copy of reference", inlined})}
    return found, copies


def planted(assignment: str) -> tuple[list[Document], set[frozenset]]:
    """planted_answers as documents."""
    found, copies = planted_answers(assignment)
    return [document(name, answers) for name, answers in found.items()], copies
