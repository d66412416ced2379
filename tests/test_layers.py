"""Dependencies between the app's parts flow one way.

Every import is counted, function-local ones included (deferring an import hides a cycle, it does
not remove it). A part is a top-level package or module of ``examapp``; the app factory
(``examapp/__init__.py``) and the command line (``examapp/cli.py``) put the parts together and may
import any of them, and no part imports them.
"""

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "examapp"
COMPOSITION_ROOTS = {"__init__", "cli"}


def _part(dotted):
    """``examapp.exams.models`` -> ``exams``; None outside the app."""
    names = dotted.split(".")
    if names[0] != "examapp":
        return None
    return names[1] if len(names) > 1 else "__init__"


def _imports(path, package):
    """The dotted names ``path`` imports (absolute, relative and function-local alike)."""
    relative = path.relative_to(package.parent).with_suffix("")
    package = list(relative.parts)[:-1]  # the package a relative import starts from
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if node.module is None or target == "examapp":
                # ``from .. import access``: each name is a module of that package
                for alias in node.names:
                    yield f"{target}.{alias.name}", node.lineno
            else:
                yield target, node.lineno


def import_graph(package=PACKAGE):
    """part -> {imported part: [(file, line), ...]}."""
    graph = defaultdict(lambda: defaultdict(list))
    for path in sorted(package.rglob("*.py")):
        source = _part(".".join(path.relative_to(package.parent).with_suffix("").parts))
        for target, line in _imports(path, package):
            imported = _part(target)
            if imported is None or imported == source:
                continue
            graph[source][imported].append((str(path.relative_to(package.parent)), line))
    return graph


def find_cycle(graph):
    """One cycle as a list of parts (first == last), or None."""
    state = {}
    trail = []

    def visit(node):
        state[node] = "open"
        trail.append(node)
        for nxt in sorted(graph.get(node, {})):
            if state.get(nxt) == "open":
                return trail[trail.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        trail.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def _describe(graph, cycle):
    lines = []
    for a, b in zip(cycle, cycle[1:], strict=False):
        file, line = graph[a][b][0]
        lines.append(f"{a} -> {b}  ({file}:{line})")
    return "\n".join(lines)


def test_no_import_cycle_between_parts():
    graph = import_graph()
    app_graph = {part: deps for part, deps in graph.items() if part not in COMPOSITION_ROOTS}
    cycle = find_cycle(app_graph)
    assert cycle is None, "import cycle between parts of the app:\n" + _describe(graph, cycle)


def test_no_part_imports_the_composition_roots():
    graph = import_graph()
    offenders = {
        f"{part} -> {root} {sites[0]}"
        for part, deps in graph.items()
        if part not in COMPOSITION_ROOTS
        for root, sites in deps.items()
        if root in COMPOSITION_ROOTS
    }
    assert not offenders


@pytest.mark.parametrize(
    "files, expected",
    [
        ({"a/__init__.py": "", "a/x.py": "def f():\n    from ..b import y\n", "b/__init__.py": "", "b/y.py": ""}, None),
        (
            {
                "a/__init__.py": "",
                "a/x.py": "def f():\n    from ..b import y\n",
                "b/__init__.py": "",
                "b/y.py": "from .. import a\n",
            },
            ["a", "b", "a"],
        ),
        (
            {
                "a/__init__.py": "",
                "a/x.py": "import examapp.c.z\n",
                "b/__init__.py": "from ..a.x import f\n",
                "c/__init__.py": "",
                "c/z.py": "from examapp.b import q\n",
            },
            ["a", "c", "b", "a"],
        ),
    ],
)
def test_the_check_sees_function_local_and_absolute_imports(tmp_path, files, expected):
    root = tmp_path / "examapp"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "__init__.py").write_text("")
    assert find_cycle(import_graph(root)) == expected


def _view_modules(package=PACKAGE):
    """Modules that answer requests: those that declare routes on a blueprint."""
    for path in sorted(package.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if re.search(r"^@\w*bp\.(route|get|post)\(", text, re.MULTILINE) or path.name == "flow.py":
            yield path, text


def test_views_leave_the_commit_to_the_request():
    """Views do not commit or roll back; the few that must commit first call ``commit_now`` and say why."""
    direct = [
        f"{path.relative_to(PACKAGE.parent)}:{number}"
        for path, text in _view_modules()
        for number, line in enumerate(text.splitlines(), start=1)
        if re.search(r"db\.session\.(commit|rollback)\(", line)
    ]
    assert not direct, "views commit or roll back themselves: " + ", ".join(direct)
    early = []
    for path, text in _view_modules():
        lines = text.splitlines()
        for number, line in enumerate(lines, start=1):
            if re.search(r"\bcommit_now\(\)", line) and not line.lstrip().startswith(("def ", "#")):
                said_why = "#" in line or (number > 1 and lines[number - 2].lstrip().startswith("#"))
                early.append((f"{path.relative_to(PACKAGE.parent)}:{number}", said_why))
    assert len(early) <= 10, f"more than 10 early commits in views: {early}"
    assert all(said_why for _site, said_why in early), f"an early commit without a comment saying why: {early}"


def test_no_blueprint_is_imported_back_by_the_module_that_defines_it():
    """Page modules import their blueprint from where it is defined, at the top (no E402 exemptions)."""
    exempt = [
        f"{path.relative_to(PACKAGE.parent)}:{number}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if "noqa: E402" in line
    ]
    assert not exempt
