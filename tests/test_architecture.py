"""The import rules of docs/architecture.md, checked on the source with `ast`.

Every module under workbench/ is parsed and every import is read, at any depth (inside functions,
`if TYPE_CHECKING:` blocks and `try:` blocks too). The rules:

(a) no import cycle between workbench modules;
(b) imports point down the declared layer order (LAYERS, bottom first); a module may import its
    own layer. `from workbench.pkg import module` also counts as importing `workbench.pkg` (Python runs
    the package's __init__.py first), so package __init__ files must not import back up;
(c) at most MAX_FUNCTION_LEVEL imports of workbench's own modules inside functions, each listed
    in FUNCTION_LEVEL_ALLOWED with its reason (heavy third-party imports may stay lazy);
(d) no two library modules share a file name, except the command and page modules
    (cli/<command>.py, ui/routes/<page>.py), which are named after the command or URL they serve;
(e) SQL writes (INSERT/UPDATE/DELETE/REPLACE) appear only under workbench/store/ (SQL_WRITES_ALLOWED
    lists, with the reason, the modules that only write TEMP tables of their own queries);
(f) no private name (`_x`) is imported from another module.
"""

from __future__ import annotations

import ast
import collections
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "workbench"

# Bottom first. A module belongs to the layer of its longest matching prefix.
LAYERS: list[tuple[str, ...]] = [
    (
        "workbench.version",
        "workbench.types",
        "workbench.errors",
        "workbench.format",
        "workbench.tokens",
        "workbench.secrets",
        "workbench.jsjson",
        "workbench.plugins",
        "workbench.file_access",
        "workbench.signal_hold",
        "workbench.md_escape",
        "workbench.dataclass_code",  # the CLI's cache of dataclasses' compiled methods
    ),
    ("workbench.suite",),
    # The database itself: connection, schema, and the cache tables the providers and compression use.
    (
        "workbench.store.db",
        "workbench.store.db_path",
        "workbench.store.schema",
        "workbench.store.guardrail_totals",  # m013 fills it for runs finished before it
        "workbench.store.run_summaries",  # how guardrail_totals (and the pair summaries) are replaced
        "workbench.store.json_columns",
        "workbench.store.lean_import",
        "workbench.store.cache_tables",
        "workbench.store.transaction",
    ),
    ("workbench.render",),
    ("workbench.runtimes",),  # user code (JavaScript, Python); the providers of type exec/python/js run it
    ("workbench.providers",),
    ("workbench.compression",),
    ("workbench.assertions",),
    ("workbench.store",),  # the results: the run writer, run import, shared read queries
    ("workbench.analysis",),
    ("workbench.routing",),
    ("workbench.ci",),
    ("workbench.report",),
    ("workbench.run",),
    ("workbench.optimize",),  # searches prompt versions by running suites
    ("workbench",),  # the public API (workbench/__init__.py), which the CLI and the UI call
    ("workbench.cli", "workbench.ui"),
    ("workbench.__main__",),
]

MAX_FUNCTION_LEVEL = 10
# (importing module, imported module) -> why the import is inside a function.
FUNCTION_LEVEL_ALLOWED: dict[tuple[str, str], str] = {
    ("workbench", "workbench.run.command"): "public API: `import workbench` stays cheap",
    ("workbench", "workbench.store.db"): "public API: `import workbench` stays cheap",
    ("workbench", "workbench.analysis.recommend"): "public API: `import workbench` stays cheap",
    ("workbench", "workbench.routing.routed_recommendation"): "public API: `import workbench` stays cheap",
    ("workbench", "workbench.ci.compare_inputs"): "public API: `import workbench` stays cheap",
    ("workbench", "workbench.ci.gates"): "public API: `import workbench` stays cheap",
}

# File names that several modules may share: command and page modules named after what they serve.
SHARED_NAME_DIRS = ("workbench/cli/", "workbench/ui/routes/")
SHARED_NAMES_OK = {"__init__.py", "__main__.py"}

# (module, why) for SQL writes outside store/ that touch no stored table.
SQL_WRITES_ALLOWED = {
    "workbench.analysis.comparison": "fills a TEMP table of one comparison query (dropped after use)",
}

SQL_WRITE = re.compile(r"^\s*(insert\s+(or\s+\w+\s+)?into|update\s+\w+\s+set|delete\s+from|replace\s+into)\b", re.I)


@dataclass(frozen=True)
class Import:
    importer: str
    target: str  # the workbench module imported
    names: tuple[str, ...]  # names taken from it (`from m import a, b`)
    line: int
    in_function: bool


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES: dict[str, Path] = {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def resolve(dotted: str) -> str | None:
    """The workbench module a dotted name lives in (`workbench.a.b.func` -> `workbench.a.b`)."""
    while dotted:
        if dotted in MODULES:
            return dotted
        dotted = dotted.rpartition(".")[0]
    return None


class _Collector(ast.NodeVisitor):
    def __init__(self, name: str, path: Path) -> None:
        self.name = name
        self.package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        self.depth = 0
        self.imports: list[Import] = []

    def _function(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function
    visit_Lambda = _function

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, (), node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            parts = self.package.split(".")
            parts = parts[: len(parts) - node.level + 1]
            base = ".".join([*parts, base] if base else parts)
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            if sub in MODULES:  # `from workbench.x import module` runs workbench/x/__init__.py too
                self._add(sub, (), node)
                if base != "workbench":  # the root package only holds the version and the lazy public API
                    self._add(base, (), node)
            else:
                self._add(base, (alias.name,), node)

    def _add(self, dotted: str, names: tuple[str, ...], node: ast.stmt) -> None:
        if dotted != "workbench" and not dotted.startswith("workbench."):
            return
        target = resolve(dotted)
        if target is None or target == self.name:
            return
        self.imports.append(Import(self.name, target, names, node.lineno, self.depth > 0))


def collect() -> list[Import]:
    out: list[Import] = []
    for name, path in MODULES.items():
        c = _Collector(name, path)
        c.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        out.extend(c.imports)
    return out


IMPORTS = collect()


def layer_of(module: str) -> int:
    best, best_len = -1, -1
    for i, prefixes in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > best_len:
                best, best_len = i, len(p)
    return best


def cycles() -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    graph: dict[str, set[str]] = collections.defaultdict(set)
    for imp in IMPORTS:
        graph[imp.importer].add(imp.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in MODULES:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    advanced = True
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def test_the_collector_sees_imports_at_any_depth() -> None:
    tree = ast.parse(
        "import workbench.errors\n"
        "from workbench.store import db\n"
        "def f():\n"
        "    from workbench.suite.filters import select_tests\n"
        "    if True:\n"
        "        from ..types import Suite\n"
    )
    c = _Collector("workbench.run.command", ROOT / "run" / "command.py")
    c.visit(tree)
    got = [(i.target, i.names, i.in_function) for i in c.imports]
    assert got == [
        ("workbench.errors", (), False),
        ("workbench.store.db", (), False),
        ("workbench.store", (), False),
        ("workbench.suite.filters", ("select_tests",), True),
        ("workbench.types", ("Suite",), True),
    ]


def test_every_module_has_a_layer() -> None:
    assert len(MODULES) > 100
    assert [m for m in MODULES if layer_of(m) < 0] == []


def test_no_import_cycles() -> None:
    assert cycles() == []


def test_imports_point_down_the_layers() -> None:
    bad = [
        f"{i.importer}:{i.line} imports {i.target} (layer {layer_of(i.target)} above {layer_of(i.importer)})"
        for i in IMPORTS
        if layer_of(i.target) > layer_of(i.importer)
    ]
    assert bad == []


def test_function_level_imports_are_few_and_explained() -> None:
    inside = [i for i in IMPORTS if i.in_function]
    unexplained = [
        f"{i.importer}:{i.line} -> {i.target}" for i in inside if (i.importer, i.target) not in FUNCTION_LEVEL_ALLOWED
    ]
    assert unexplained == []
    assert len(inside) <= MAX_FUNCTION_LEVEL
    assert len(FUNCTION_LEVEL_ALLOWED) <= MAX_FUNCTION_LEVEL
    assert all(reason.strip() for reason in FUNCTION_LEVEL_ALLOWED.values())


def test_no_two_library_modules_share_a_file_name() -> None:
    by_name: dict[str, list[str]] = collections.defaultdict(list)
    for path in MODULES.values():
        rel = path.relative_to(ROOT.parent).as_posix()
        if path.name in SHARED_NAMES_OK or rel.startswith(SHARED_NAME_DIRS):
            continue
        by_name[path.name].append(rel)
    assert {n: ps for n, ps in by_name.items() if len(ps) > 1} == {}


def _string_constants(tree: ast.AST) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            out.append((node.lineno, node.value))
        elif isinstance(node, ast.JoinedStr):  # an f-string: its literal parts, joined
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
            out.append((node.lineno, text))
    return out


def sql_writes() -> list[str]:
    found = []
    for name, path in MODULES.items():
        if name.startswith("workbench.store.") or name == "workbench.store" or name in SQL_WRITES_ALLOWED:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(n.body[0].value)
            for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and n.body
            and isinstance(n.body[0], ast.Expr)
            and isinstance(n.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            if id(node) in docstrings:
                continue
            for line, text in _string_constants(node) if isinstance(node, (ast.Constant, ast.JoinedStr)) else []:
                if SQL_WRITE.search(text):
                    found.append(f"{name}:{line}: {text.strip()[:60]}")
    return sorted(set(found))


@pytest.mark.parametrize(
    "sql,is_write",
    [
        ("insert into results (a) values (?)", True),
        ("INSERT OR REPLACE INTO runs values (?)", True),
        ("  update runs set status = ?", True),
        ("delete from results where run_id = ?", True),
        ("replace into pairs values (?)", True),
        ("select * from results where status = 'update'", False),
        ("Run 3 was deleted from the database", False),
    ],
)
def test_the_sql_write_pattern(sql: str, is_write: bool) -> None:
    assert bool(SQL_WRITE.search(sql)) is is_write


def test_sql_writes_only_in_store() -> None:
    assert sql_writes() == []


def test_no_private_names_cross_modules() -> None:
    bad = [
        f"{i.importer}:{i.line} imports {n} from {i.target}"
        for i in IMPORTS
        for n in i.names
        if n.startswith("_") and not n.startswith("__")
    ]
    assert bad == []
