"""Every error a service raises for people is written in Chinese (issue 12; style: errors say
what is wrong and how to fix it).

People read ``detail`` and ``fix`` of a ``host.errors.ServiceError`` on the pages, in the CLI
(错误/办法) and in the API's problem details. This scan reads host/ as source (AST), finds every
call that builds a ServiceError or a subclass (those of host.errors and every subclass defined in
host/, found by name through the class bases) and every ``super().__init__(...)`` inside such a
subclass, and requires each string literal or f-string given as detail or fix to hold Chinese
characters. Ids, codes, parameter names and units inside the sentence are fine; a literal with no
letters at all (only digits, punctuation and placeholders) needs none. Texts passed on in a variable are
checked where they are written, if that is a raise of a ServiceError; others cannot be seen here.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import host.backup
import host.service  # noqa: F401
from host import errors

HOST = Path(__file__).resolve().parents[1] / "host"
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
LETTERS = re.compile(r"[A-Za-z]")


@dataclass(frozen=True)
class Site:
    where: str
    arg: str
    text: str

    def __str__(self) -> str:
        return f"{self.where} {self.arg}: {self.text!r}"


def _trees() -> dict[Path, ast.Module]:
    return {p: ast.parse(p.read_text(encoding="utf-8"), str(p)) for p in sorted(HOST.rglob("*.py"))}


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _error_classes(trees: dict[Path, ast.Module]) -> set[str]:
    """Names of ServiceError and every subclass: host.errors, then host/ classes by their bases."""
    known = {name for name, obj in vars(errors).items()
             if isinstance(obj, type) and issubclass(obj, errors.ServiceError)}
    classes = [node for tree in trees.values() for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    grew = True
    while grew:
        grew = False
        for cls in classes:
            if cls.name not in known and any(_name(b) in known for b in cls.bases):
                known.add(cls.name)
                grew = True
    return known


def _literal(node: ast.expr) -> str | None:
    """The written text of a str literal, f-string or their concatenation; None for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "{}"
                       for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal(node.left), _literal(node.right)
        if left is None and right is None:
            return None
        return (left or "{}") + (right or "{}")
    if isinstance(node, ast.IfExp):
        body, orelse = _literal(node.body), _literal(node.orelse)
        if body is None and orelse is None:
            return None
        return (body or "") + " | " + (orelse or "")
    return None


def _texts(call: ast.Call) -> list[tuple[str, ast.expr]]:
    args: list[tuple[str, ast.expr]] = list(zip(("detail", "fix", "title"), call.args, strict=False))
    args += [(k.arg, k.value) for k in call.keywords if k.arg in {"detail", "fix", "title"}]
    return [(name, value) for name, value in args if name in {"detail", "fix"}]


def _is_super_init(call: ast.Call) -> bool:
    f = call.func
    return (isinstance(f, ast.Attribute) and f.attr == "__init__" and isinstance(f.value, ast.Call)
            and _name(f.value.func) == "super")


def sites() -> tuple[list[Site], list[Site]]:
    """(all detail/fix literals found, those without Chinese)."""
    trees = _trees()
    known = _error_classes(trees)
    found: list[Site] = []
    for path, tree in trees.items():
        rel = path.relative_to(HOST.parent)
        calls: list[ast.Call] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) in known:
                calls.append(node)
            if isinstance(node, ast.ClassDef) and node.name in known and node.name != "ServiceError":
                calls += [c for c in ast.walk(node) if isinstance(c, ast.Call) and _is_super_init(c)]
        for call in calls:
            for arg, value in _texts(call):
                text = _literal(value)
                if text is not None:
                    found.append(Site(f"{rel}:{value.lineno}", arg, text))
    english = [s for s in found if LETTERS.search(s.text) and not CJK.search(s.text)]
    return found, english


def test_the_scan_sees_the_raise_sites() -> None:
    """The scan is not empty: it finds the known sites (a scan that finds nothing proves nothing)."""
    found, _ = sites()
    assert len(found) > 100
    assert any(s.where.startswith("host/fleet.py") for s in found)
    assert any(s.where.startswith("host/auth/throttle.py") for s in found)  # super().__init__ in a subclass


def test_the_scan_flags_english() -> None:
    tree = ast.parse('raise errors.NotFound("no such pad", fix="找到 pad 后再试")')
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call))
    texts = {arg: _literal(v) for arg, v in _texts(call)}
    assert texts == {"detail": "no such pad", "fix": "找到 pad 后再试"}
    assert not CJK.search(texts["detail"] or "") and CJK.search(texts["fix"] or "")


def test_every_service_error_is_written_in_chinese() -> None:
    _, english = sites()
    assert not english, f"{len(english)} ServiceError texts without Chinese:\n" + "\n".join(map(str, english))


def _subclasses(cls: type) -> list[type]:
    return [cls] + [d for c in cls.__subclasses__() for d in _subclasses(c)]


def test_every_error_class_heads_its_problem_in_chinese() -> None:
    """The API's problem ``title`` of an error raised without one is its class's ``heading``:
    Chinese for every class, not the developers' docstring (issue 12's leftover)."""
    classes = {c.__name__: c for c in _subclasses(errors.ServiceError)}
    assert _error_classes(_trees()) <= set(classes)       # every class the scan knows is imported
    english = {n: c.heading for n, c in classes.items() if not CJK.search(c.heading)}
    assert not english, english
