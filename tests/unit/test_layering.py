"""The import contract of the house (issue 16), read from the source with ``ast`` (no app, no database).

* geo/ is pure (no database, no web, nothing else of the app);
* the domain code (core/ and every domain package) imports no web framework: no ``flask``,
  ``flask_login``, ``flask_wtf``, ``werkzeug`` (but its password hashing) and none of the adapters
  (web/, api/, settings, auth, security, errors' handler) — settings come in as arguments;
* core/ imports no domain package (the domains build on it, never the reverse);
* maps/ builds map configuration from data: no database;
* web/ and api/ write no SQL (they parse, call a domain function and render);
* no module imports another module's private (``_name``) names, and there is no import cycle;
* no file of the application or its tests is longer than 400 lines (migrations aside).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "gridapp"
DOMAINS = ("core", "incidents", "disputes", "inspections", "places", "org", "accounts", "boundaries", "coverage",
           "reminders", "analytics", "demo", "notifications", "jobs", "exports")
ADAPTERS = ("gridapp.web", "gridapp.api", "gridapp.settings", "gridapp.auth", "gridapp.security", "gridapp.errors",
            "gridapp.assets", "gridapp.cli")
FRAMEWORK = ("flask", "flask_login", "flask_wtf", "werkzeug")
ALLOWED_FRAMEWORK = ("werkzeug.security",)  # password hashing is a library, not the web framework
MAX_LINES = 400


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in APP.rglob("*.py") if "vendor" not in p.parts}


def _imports(name: str, top_level_only: bool = False) -> list[tuple[str, list[str], int]]:
    """(imported module, names imported from it, line) of a module, relative imports resolved."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    nodes = tree.body if top_level_only else ast.walk(tree)
    out = []
    for node in nodes:
        if isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names = [a.name for a in node.names]
            out.append((module, names, node.lineno))
            # "from package import module": the module is imported too
            out += [(f"{module}.{n}", [], node.lineno) for n in names if f"{module}.{n}" in MODULES]
    return out


def _in(module: str, prefixes) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _domain_modules():
    return sorted(m for m in MODULES if _in(m, [f"gridapp.{d}" for d in DOMAINS]))


def test_geo_is_pure():
    bad = [(m, i, line) for m in MODULES if _in(m, ["gridapp.geo"]) for i, _, line in _imports(m)
           if _in(i, ("flask", "sqlalchemy", "geoalchemy2", "gridapp"))
           and not _in(i, ("gridapp.geo", "gridapp.codes"))]
    assert not bad, bad


@pytest.mark.parametrize("module", _domain_modules())
def test_domain_code_imports_no_web_framework_and_no_adapter(module):
    bad = [(i, line) for i, names, line in _imports(module)
           if (_in(i, FRAMEWORK) and not _in(i, ALLOWED_FRAMEWORK)) or _in(i, ADAPTERS)]
    assert not bad, f"{module} imports {bad}: pass settings in, build URLs in web/ or api/"


def test_core_builds_on_no_domain():
    domains = [f"gridapp.{d}" for d in DOMAINS if d != "core"]
    bad = [(m, i, line) for m in MODULES if _in(m, ["gridapp.core"]) for i, _, line in _imports(m) if _in(i, domains)]
    assert not bad, bad


def test_maps_read_no_database():
    bad = [(m, i, line) for m in MODULES if _in(m, ["gridapp.maps"]) for i, _, line in _imports(m)
           if _in(i, ("sqlalchemy", "geoalchemy2", "gridapp.extensions", "gridapp.models"))]
    assert not bad, bad


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _in(m, ["gridapp.web", "gridapp.api"])))
def test_adapters_write_no_sql(module):
    text = MODULES[module].read_text(encoding="utf-8")
    tree = ast.parse(text)
    calls = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
             and n.func.id in ("select", "update", "delete", "insert", "text")]
    queries = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr in (
        "scalar", "scalars", "execute", "query") and isinstance(n.value, ast.Attribute) and n.value.attr == "session"]
    assert not calls and not queries, f"{module}: SQL at lines {calls + queries}: move it into a domain queries.py"


def test_no_module_imports_private_names_of_another():
    bad = []
    for m in MODULES:
        for i, names, line in _imports(m):
            if i.startswith("gridapp") and i != m:
                bad += [(m, i, n, line) for n in names if n.startswith("_") and not n.startswith("__")]
        tree = ast.parse(MODULES[m].read_text(encoding="utf-8"))
        modules_imported = {i for i, _, _ in _imports(m) if i in MODULES}
        aliases = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names
                   if any(x.endswith("." + a.name) for x in modules_imported)}
        bad += [(m, f"{n.value.id}.{n.attr}", n.lineno) for n in ast.walk(tree)
                if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in aliases
                and n.attr.startswith("_") and not n.attr.startswith("__")]
    assert not bad, bad


def test_no_import_cycles():
    graph = {m: {i for i, _, _ in _imports(m, top_level_only=True) if i in MODULES and i != m} for m in MODULES}
    cycles, state = [], {}

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    # a package importing its own modules for re-export is not a cycle of the design
    cycles = [c for c in cycles if not all(x == c[0] or x.startswith(c[0] + ".") for x in c)]
    assert not cycles, cycles


def test_no_file_over_400_lines():
    files = [p for p in APP.rglob("*") if p.suffix in (".py", ".js", ".css") and "vendor" not in p.parts]
    files += [*(ROOT / "templates").rglob("*.html"), *(ROOT / "tests").rglob("*.py")]
    lines = {str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines()) for p in files}
    long = {name: n for name, n in lines.items() if n > MAX_LINES}
    assert not long, long


def test_every_attribute_read_from_an_imported_app_module_exists():
    """``module.name`` for every app module imported by name (``from gridapp.x import y``), in the
    app, the tests and the benchmarks: a renamed or moved name is caught here, not at run time."""
    import importlib

    files = [p for p in (*APP.rglob("*.py"), *(ROOT / "tests").rglob("*.py"), *(ROOT / "bench").glob("*.py"))
             if "vendor" not in p.parts]
    missing = []
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
        modules = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")[:len(package.split(".")) - node.level + 1] if node.level else []
                source = ".".join(base + ([node.module] if node.module else [])) if node.level else node.module
                for alias in node.names:
                    if f"{source}.{alias.name}" in MODULES:
                        modules[alias.asname or alias.name] = importlib.import_module(f"{source}.{alias.name}")
        missing += [(str(path.relative_to(ROOT)), node.lineno, f"{node.value.id}.{node.attr}")
                    for node in ast.walk(tree) if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in modules and not hasattr(modules[node.value.id], node.attr)]
    assert not missing, missing
