"""The code stays ruff and mypy clean (both come with the dev extra)."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(argv):
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_is_clean():
    if shutil.which("ruff") is None:
        pytest.skip("ruff is not installed (pip install -e '.[dev]')")
    result = run(["ruff", "check", "."])
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean():
    pytest.importorskip("mypy", reason="mypy is not installed (pip install -e '.[dev]')")
    result = run([sys.executable, "-m", "mypy"])
    assert result.returncode == 0, result.stdout + result.stderr


def _imports(folder):
    import ast

    for path in sorted((ROOT / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            for name in names:
                yield path.relative_to(ROOT), name.split(".")[0]


def test_top_level_packages_import_one_way():
    """Layers point one way: tools (benchmark, samples) and the assignment packs (assignments,
    reference) use graders, the engine; graders imports none of them (it loads a pack's code by
    the names its assignment.toml gives), and reference never imports a pack."""
    below = {"graders": {"tools", "assignments", "reference"}, "reference": {"assignments", "tools"}}
    offenders = ["%s: %s" % (path, name) for folder, forbidden in below.items()
                 for path, name in _imports(folder) if name in forbidden]
    assert not offenders


def _module_of(path: Path) -> str:
    parts = list(path.with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _module_imports(folder):
    """``module -> modules of the tree it imports`` (lazy imports inside functions included;
    relative imports resolved)."""
    import ast

    graph: dict[str, set[str]] = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        module = _module_of(path.relative_to(ROOT))
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        found = graph.setdefault(module, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1] + ([base] if base
                                                                                                      else []))
                found.add(base)
                found.update("%s.%s" % (base, alias.name) for alias in node.names)
    return {module: {name for name in names if name in graph and name != module} for module, names in graph.items()}


def test_the_engines_modules_form_no_import_circle():
    """Within graders/ too, imports point one way, even those made inside a function: a module
    that needs one above it is in the wrong place."""
    graph = _module_imports("graders")
    for package in [m for m in graph if any(other.startswith(m + ".") for other in graph)]:
        graph[package] = set()  # a package's face re-exports what is below it; it is no layer of its own
    state: dict[str, int] = {}
    circles = []

    def visit(module, trail):
        state[module] = 1
        for name in sorted(graph[module]):
            if state.get(name) == 1:
                circles.append(trail[trail.index(name):] + [name])
            elif name not in state:
                visit(name, trail + [name])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not circles, circles


def test_the_gradebook_renders_nothing_and_the_renderers_score_nothing():
    """Results are data with renderers beside them: the gradebook and the batch store what a
    renderer handed them (``dnngrade batch`` passes one in), and no renderer grades or scores."""
    graph = _module_imports("graders")
    storing = {m: sorted(n for n in graph[m] if n.startswith("graders.render"))
               for m in graph if m.startswith("graders.batch")}
    scoring = {m: sorted(n for n in graph[m] if n in ("graders.scoring", "graders.grade", "graders.shortcut"))
               for m in graph if m.startswith("graders.render")}
    assert not any(storing.values()), storing
    assert not any(scoring.values()), scoring


def _pack_words():
    """Every name an installed pack brings: its name, graded functions, returned items, arguments,
    graded keys, helper and stand-in modules, and the functions of its helpers module."""
    from graders.assignment import installed_assignments

    words = set()
    for pack in installed_assignments():
        words |= {pack.name, *pack.graded_functions, *pack.helper_modules, *pack.standins}
        for spec in pack.spec.functions.values():
            returned = spec.returns if isinstance(spec.returns, tuple) else (spec.returns,)
            words |= {name for name in returned + spec.arguments + spec.graded_keys if len(name) > 3}
        helpers = vars(pack.helpers).items() if pack.helpers else ()
        words |= {name for name, value in helpers if callable(value) and not name.startswith("_")
                  and getattr(value, "__module__", "").startswith(("reference", "assignments"))}
        words |= set(pack.spec.container_items)
    # words of plain English (or of any assignment) that the engine may well use
    return words - {"parameters", "params", "activation", "learning_rate", "the result", "cost", "costs", "grads",
                    "cache"}


def test_the_engine_names_no_assignment():
    """graders/ knows no assignment: no pack's function, returned item, key or module is named in
    it (the names come from the pack's files at run time)."""
    words = _pack_words()
    assert {"linear_forward", "dnn_utils", "caches"} <= words  # the first pack's are among them
    pattern = re.compile(r"(?<![A-Za-z0-9_])(%s)(?![A-Za-z0-9_])" % "|".join(map(re.escape, sorted(words))))
    keys = re.compile(r"[\"'](W|b|dW|db|dA|A|Z)[0-9]+[\"']")
    found = []
    for path in sorted((ROOT / "graders").rglob("*")):
        if path.is_file() and path.suffix in (".py", "") and "__pycache__" not in path.parts:
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                hits = pattern.findall(line) + keys.findall(line)
                hits = [hit for hit in hits if hit != "dnn_step_by_step" or "dnn_step_by_step_grader" not in line]
                if hits:
                    found.append("%s:%d: %s" % (path.relative_to(ROOT), number, ", ".join(sorted(set(hits)))))
    assert not found, "\n".join(found)
