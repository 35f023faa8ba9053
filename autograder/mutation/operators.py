"""Mutation operators for the mistakes of numpy neural-network homework.

cosmic-ray's own operators (binary, comparison and unary operator replacement, number
and boolean replacement, ...) know nothing of arrays. The operators here add the slips
that cost students points in this field: a transpose dropped, matmul operands swapped,
the wrong axis, a lost ``keepdims``, sum for mean, a missing or doubled 1/N, a sign
flipped, an input or cache changed in place, a stale cache, a term or factor left out,
broadcasting that only works for square shapes or a batch of one.

Each is a cosmic-ray ``Operator``: it names the parso nodes it can change
(``mutation_positions``) and returns the changed node (``mutate``). Most are written as
text rewrites of one node (``Rewrite``), which keeps them a few lines each.
"""

from __future__ import annotations

import parso
from cosmic_ray.operators.operator import Operator
from cosmic_ray.plugins import get_operator, operator_names

# ufuncs that accept out=: a student who writes into the argument changes the caller's array.
_UFUNCS = {"maximum", "minimum", "exp", "log", "multiply", "add", "subtract", "divide",
           "tanh", "clip", "square", "sqrt", "abs", "negative", "power"}
# Calls whose axis= or keepdims= a student can lose (np.concatenate's axis=0 is its
# default, so losing it is no slip).
_REDUCTIONS = {"sum", "mean", "max", "min", "argmax", "argmin", "std", "var", "prod",
               "logsumexp", "all", "any", "cumsum", "softmax"}


class Rewrite(Operator):
    """An operator given as the new texts of a node: one mutation per text."""

    def rewrites(self, node) -> list[str]:
        """The code that may replace ``node`` (its leading whitespace aside)."""
        raise NotImplementedError

    def mutation_positions(self, node):
        for _ in self.rewrites(node):
            yield (node.start_pos, node.end_pos)

    def mutate(self, node, index):
        return _parsed_like(node, self.rewrites(node)[index])

    @classmethod
    def examples(cls):
        return ()


def _parsed_like(node, text: str):
    """``text`` parsed as the kind of code ``node`` is, with ``node``'s leading whitespace."""
    if node.type == "expr_stmt":
        new = parso.parse(text).children[0]
    else:  # an expression: parenthesised, so that any text parses as one
        new = parso.parse(f"({text})").children[0].children[1]
    new.get_first_leaf().prefix = node.get_first_leaf().prefix
    return new


def _code(node) -> str:
    return node.get_code(include_prefix=False)


def _joined(children) -> str:
    """Children's code joined, with the first child's leading whitespace dropped."""
    if not children:
        return ""
    return _code(children[0]) + "".join(child.get_code() for child in children[1:])


def _call_parts(node):
    """For an atom_expr ending in a call, ``(callee text, last name, arguments)``:
    ``np.sum(x, axis=0)`` gives ``("np.sum", "sum", [x, axis=0])``; else None."""
    if node.type != "atom_expr" or node.children[-1].type != "trailer":
        return None
    call = node.children[-1]
    if call.children[0].value != "(":
        return None
    callee = node.children[:-1]
    last = callee[-1]
    name = last.children[1].value if last.type == "trailer" and last.children[0].value == "." \
        else (last.value if last.type == "name" else None)
    inner = call.children[1] if len(call.children) == 3 else None
    if inner is None:
        arguments = []
    elif inner.type == "arglist":
        arguments = [child for child in inner.children if child.type != "operator"]
    else:
        arguments = [inner]
    return _joined(callee), name, arguments


def _keyword(argument):
    """``(name, value text)`` of a keyword argument node, else None."""
    if argument.type == "argument" and len(argument.children) == 3 \
            and argument.children[1].type == "operator" and argument.children[1].value == "=":
        return argument.children[0].value, _code(argument.children[2])
    return None


def _with_arguments(node, arguments: list[str]) -> str:
    callee, _, _ = _call_parts(node)
    return f"{callee}({', '.join(arguments)})"


def _argument_texts(node) -> list[str]:
    return [_code(argument) for argument in _call_parts(node)[2]]


class SwapMatmulOperands(Rewrite):
    """``a @ b`` -> ``b @ a``; ``np.dot(a, b)`` / ``np.matmul(a, b)`` -> ``(b, a)``;
    ``a.dot(b)`` -> ``b.dot(a)``."""

    def rewrites(self, node):
        found = []
        if node.type == "term":
            parts = node.children
            for i in range(1, len(parts) - 1, 2):
                if parts[i].value == "@":
                    swapped = [_code(p) for p in parts]
                    swapped[i - 1], swapped[i + 1] = swapped[i + 1], swapped[i - 1]
                    found.append(" ".join(swapped))
        call = _call_parts(node)
        if call and call[1] in ("dot", "matmul"):
            callee, name, arguments = call
            if callee in ("np.dot", "np.matmul", "numpy.dot") and len(arguments) == 2 \
                    and not any(map(_keyword, arguments)):
                found.append(f"{callee}({_code(arguments[1])}, {_code(arguments[0])})")
            elif callee.endswith(".dot") and not callee.startswith("np.") and len(arguments) == 1:
                found.append(f"({_code(arguments[0])}).dot({callee[:-4]})")
        return found


class DropTranspose(Rewrite):
    """``x.T`` -> ``x`` (anywhere in ``x.T.dot(y)``); ``x.transpose()`` and
    ``np.transpose(x)`` -> ``x``."""

    def rewrites(self, node):
        if node.type != "atom_expr":
            return []
        parts = node.children
        found = [_joined(parts[:i]) + "".join(p.get_code() for p in parts[i + 1:])
                 for i, part in enumerate(parts)
                 if i and part.type == "trailer" and part.children[0].value == "."
                 and part.children[1].value == "T"]
        call = _call_parts(node)
        if call and call[1] == "transpose":
            callee, _, arguments = call
            if callee == "np.transpose" and len(arguments) == 1:
                found.append(_code(arguments[0]))
            elif callee.endswith(".transpose") and callee != "np.transpose" and not arguments:
                found.append(callee[: -len(".transpose")])
        return found


class SwapAxis(Rewrite):
    """``axis=0`` <-> ``axis=1``, and ``axis=-1`` -> ``axis=0``: reducing along the wrong axis."""

    _OTHER = {"0": "1", "1": "0", "-1": "0"}

    def rewrites(self, node):
        keyword = _keyword(node)
        if keyword and keyword[0] == "axis" and keyword[1] in self._OTHER:
            return [f"axis={self._OTHER[keyword[1]]}"]
        return []

    def mutate(self, node, index):
        value = parso.parse(self._OTHER[_code(node.children[2])]).children[0]
        value.prefix = node.children[2].get_first_leaf().prefix
        node.children[2] = value
        return node


class DropKeyword(Rewrite):
    """A call without one of its keyword arguments: ``keepdims=True`` lost (a reduction
    that broadcasts wrongly), or ``axis=`` lost (a reduction over everything, right only
    for a batch of one)."""

    _DROPPED = ("keepdims", "axis")

    def rewrites(self, node):
        call = _call_parts(node)
        if not call or call[1] not in _REDUCTIONS:
            return []
        texts = _argument_texts(node)
        return [_with_arguments(node, texts[:i] + texts[i + 1:])
                for i, argument in enumerate(call[2])
                if (_keyword(argument) or ("",))[0] in self._DROPPED]


class SumForMean(Rewrite):
    """``sum`` <-> ``mean`` (``np.sum(x)``, ``x.mean(axis=0)``): a lost or an extra 1/N."""

    _OTHER = {"sum": "mean", "mean": "sum"}

    def rewrites(self, node):
        if node.type == "trailer" and node.children[0].value == "." \
                and node.children[1].type == "name" and node.children[1].value in self._OTHER:
            return [f".{self._OTHER[node.children[1].value]}"]
        return []

    def mutate(self, node, index):
        node.children[1].value = self._OTHER[node.children[1].value]
        return node


class DropOperand(Rewrite):
    """A sum or a product without one of its parts: ``a + b`` -> ``a`` or ``b`` (a bias or
    a regularisation term left out), ``a * b / n`` -> ``a / n`` (a factor such as 1/2 or
    d_out left out) or ``a * b`` (a missing 1/N)."""

    def rewrites(self, node):
        if node.type not in ("arith_expr", "term"):
            return []
        parts = node.children
        found = []
        for i in range(0, len(parts), 2):
            if i == 0:
                if node.type == "term" and parts[1].value != "*":
                    continue  # 1/b for a/b is no student's slip
                rest = parts[2:]
                text = _joined(rest)
                if node.type == "arith_expr" and parts[1].value == "-":
                    text = "-" + text if len(rest) == 1 else f"-({_code(rest[0])})" + "".join(
                        r.get_code() for r in rest[1:])
            else:
                text = _joined(parts[:i - 1] + parts[i + 1:])
            found.append(text)
        return found


class DoubleDivisor(Rewrite):
    """``a / n`` -> ``a / n / n``: averaging twice."""

    def rewrites(self, node):
        if node.type != "term":
            return []
        parts = node.children
        return [_joined(parts[:i + 2]) + f" / {_code(parts[i + 1])}" + "".join(
                    p.get_code() for p in parts[i + 2:])
                for i in range(1, len(parts) - 1, 2) if parts[i].value == "/"]


class SwapSubtraction(Rewrite):
    """``a - b`` -> ``b - a``: a sign flipped."""

    def rewrites(self, node):
        if node.type == "arith_expr" and len(node.children) == 3 and node.children[1].value == "-":
            return [f"{_code(node.children[2])} - {_code(node.children[0])}"]
        return []


class InPlaceUfunc(Rewrite):
    """``np.maximum(0, x)`` -> ``np.maximum(0, x, out=x)``: the caller's array overwritten."""

    def rewrites(self, node):
        call = _call_parts(node)
        if not call or not call[0].startswith("np.") or call[1] not in _UFUNCS:
            return []
        names = [_code(a) for a in call[2] if a.type == "name"]
        if not names or any(_keyword(a) for a in call[2]):
            return []
        return [_with_arguments(node, _argument_texts(node) + [f"out={names[0]}"])]


class InPlaceUpdate(Rewrite):
    """``y = x - step`` -> ``x -= step; y = x``: an input changed where a new array was due."""

    def rewrites(self, node):
        if node.type != "expr_stmt" or len(node.children) != 3 or node.children[1].value != "=":
            return []
        target, value = node.children[0], node.children[2]
        if value.type not in ("arith_expr", "term") or value.children[0].type != "name":
            return []
        operand = _code(value.children[0])
        if operand == _code(target):
            return []
        operator = value.children[1].value
        rest = _joined(value.children[2:])
        if operator not in ("+", "-", "*", "/") or len(value.children) > 3 and operator in "-/":
            return []
        return [f"{operand} {operator}= {rest}; {_code(target)} = {operand}"]

    def mutate(self, node, index):
        # Two statements: parse them as a simple statement's pieces and keep the line's
        # indentation on the first.
        text = self.rewrites(node)[index]
        first, second = text.split("; ")
        new = parso.parse(f"{first}\n").children[0].children[0]
        new.get_first_leaf().prefix = node.get_first_leaf().prefix
        tail = parso.parse(f"{second}\n").children[0].children[0]
        tail.get_first_leaf().prefix = " "
        return _Sequence(new, tail)


class _Sequence:
    """Two statements where one stood, written ``first; second`` (see InPlaceUpdate)."""

    type = "sequence"

    def __init__(self, first, second):
        self.first, self.second = first, second

    def get_code(self, include_prefix=True):
        return self.first.get_code(include_prefix) + ";" + self.second.get_code()

    def get_first_leaf(self):
        return self.first.get_first_leaf()


class DropCopy(Rewrite):
    """``x.copy()`` / ``np.copy(x)`` -> ``x``: an alias where a copy was needed."""

    def rewrites(self, node):
        call = _call_parts(node)
        if not call or call[1] != "copy":
            return []
        callee, _, arguments = call
        if callee == "np.copy" and len(arguments) == 1:
            return [_code(arguments[0])]
        if callee.endswith(".copy") and callee != "np.copy" and not arguments:
            return [callee[: -len(".copy")]]
        return []


class StaleAttribute(Rewrite):
    """``self.cache = value`` -> kept from the first call: a stale cache."""

    def rewrites(self, node):
        if node.type != "expr_stmt" or len(node.children) != 3 or node.children[1].value != "=":
            return []
        target = node.children[0]
        if target.type != "atom_expr" or len(target.children) != 2 \
                or _code(target.children[0]) != "self" or target.children[1].children[0].value != ".":
            return []
        function = node.search_ancestor("funcdef")
        if function is None or function.name.value == "__init__":
            return []
        attribute = target.children[1].children[1].value
        value = _code(node.children[2])
        return [f"self.{attribute} = ({value}) if getattr(self, {attribute!r}, None) is None "
                f"else self.{attribute}"]


class FlipBroadcast(Rewrite):
    """``reshape(-1, 1)`` <-> ``reshape(1, -1)``; ``[:, None]`` <-> ``[None, :]``: a column
    where a row was meant, which broadcasts only for square shapes or a batch of one."""

    def rewrites(self, node):
        call = _call_parts(node)
        if call and call[1] == "reshape":
            texts = [t.replace(" ", "") for t in _argument_texts(node)]
            flipped = {("-1", "1"): ["1", "-1"], ("1", "-1"): ["-1", "1"]}.get(tuple(texts))
            if flipped:
                return [_with_arguments(node, flipped)]
        if node.type == "trailer" and node.children[0].value == "[":
            inner = _code(node.children[1]).replace(" ", "")
            other = {":,None": "None, :", "None,:": ":, None",
                     ":,np.newaxis": "np.newaxis, :", "np.newaxis,:": ":, np.newaxis"}.get(inner)
            if other:
                return [f"[{other}]"]
        return []

    def mutate(self, node, index):
        if node.type == "trailer":
            new = parso.parse(f"x{self.rewrites(node)[index]}").children[0].children[1]
            return new
        return super().mutate(node, index)


class ClassCountFromLabels(Rewrite):
    """A one-hot sized from the labels' largest value instead of from the scores: right
    for a batch that holds every class, wrong for one that lacks the last.
    ``np.eye(K)[y]`` -> ``np.eye(int(np.max(y)) + 1)[y]``; ``t = np.zeros_like(p)``
    filled by ``t[y, idx] = 1`` -> ``t = np.zeros`` of p's shape with ``max(y) + 1``
    on y's axis."""

    def rewrites(self, node):
        if node.type == "atom_expr" and len(node.children) == 4 \
                and _joined(node.children[:2]) == "np.eye" \
                and node.children[2].children[0].value == "(" \
                and node.children[3].children[0].value == "[":
            labels = _code(node.children[3].children[1])
            return [f"np.eye(int(np.max({labels})) + 1)[{labels}]"]
        if node.type != "expr_stmt" or len(node.children) != 3 or node.children[1].value != "=" \
                or node.children[0].type != "name":
            return []
        call = _call_parts(node.children[2])
        if not call or call[0] != "np.zeros_like" or len(call[2]) != 1:
            return []
        name, like = node.children[0].value, _code(call[2][0])
        found = []
        for axis, labels in _label_indices(node, name):
            shape = f"np.shape({like})"
            found.append(f"{name} = np.zeros({shape}[:{axis}] + (int(np.max({labels})) + 1,) "
                         f"+ {shape}[{axis + 1}:])")
        return found


def _label_indices(statement, name):
    """``(axis, labels text)`` for each ``name[..., labels, ...] = ...`` after
    ``statement`` in its function, where the other indices are ranges or slices."""
    scope = statement.search_ancestor("funcdef", "file_input")
    found = []
    for other in _descendants(scope):
        if other.type != "expr_stmt" or other.start_pos <= statement.start_pos:
            continue
        target = other.children[0]
        if target.type != "atom_expr" or len(target.children) != 2 \
                or _code(target.children[0]) != name or target.children[1].children[0].value != "[":
            continue
        inner = target.children[1].children[1]
        indices = [c for c in inner.children if c.type != "operator"] \
            if inner.type == "subscriptlist" else [inner]
        ranges = [i for i, index in enumerate(indices)
                  if "arange(" in _code(index) or "range(" in _code(index) or _code(index) == ":"]
        if len(indices) >= 2 and len(ranges) == len(indices) - 1:
            axis = next(i for i in range(len(indices)) if i not in ranges)
            found.append((axis, _code(indices[axis])))
    return found


def _descendants(node):
    for child in getattr(node, "children", ()):
        yield child
        yield from _descendants(child)


FIELD_OPERATORS = (SwapMatmulOperands, DropTranspose, SwapAxis, DropKeyword, SumForMean,
                   DropOperand, DoubleDivisor, SwapSubtraction, InPlaceUfunc, InPlaceUpdate,
                   DropCopy, StaleAttribute, FlipBroadcast, ClassCountFromLabels)

# cosmic-ray's operators that need arguments (which variable to replace) or mutate nothing.
_CORE_LEFT_OUT = ("core/VariableReplacer", "core/VariableInserter", "core/NoOp")


def operators() -> dict[str, Operator]:
    """Every operator used: cosmic-ray's core set, then the field's, by name."""
    found = {name: get_operator(name)() for name in sorted(operator_names())
             if name.startswith("core/") and name not in _CORE_LEFT_OUT}
    found.update({f"nn/{op.__name__}": op() for op in FIELD_OPERATORS})
    return found


__all__ = ["FIELD_OPERATORS", "operators"]
