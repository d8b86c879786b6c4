"""An assignment pack: a folder of data and code that the engine grades, knowing nothing else of it.

A pack is a folder holding ``assignment.toml``. Its ``[pack]`` table names the pack's code; every
entry is either a file of the folder (``"generators.py"``) or an importable module
(``"reference.course"``)::

    [pack]
    solution = "reference.course"     # the reference solutions (trusted process only)
    generators = "generators.py"      # the case builders named in the function tables
    mistakes = "mistakes.py"          # the mistake library (VARIANTS), for diagnosis and audit
    hooks = "hooks.py"                # optional: extra diagnosis, figures (see below)
    helpers = "reference.helpers"     # optional: the helpers module students import; its file must
                                      # stand alone (NumPy only): the worker runs it in the sandbox
    helper_modules = ["course_utils"] # the names students import it under
    standins = ["test_cases"]         # modules of the course that the worker stands in for

The other folders and files: ``cases/public.json`` and ``cases/hidden.json`` (written by
``dnngrade cases``), ``template/`` (the notebook template and the Gradescope files),
``samples/`` (bundled submissions) and whatever the template's figures need.

One pack is *selected* per process (:func:`select`, called by the command line's
``--assignment``); library code that is not handed a pack asks :func:`current`.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import ModuleType

from graders.errors import UserError
from graders.portable.checks import use_names
from graders.spec import AssignmentSpec, load_spec

ASSIGNMENTS_DIR = Path(__file__).resolve().parent.parent / "assignments"  #: the installed packs, one folder each
SPEC_FILE = "assignment.toml"
ENV_VARIABLE = "DNNGRADE_ASSIGNMENT"  #: the pack to use when a command names none (a name or a folder)

MSG_NO_PACKS = "no assignment packs are installed (no folder with an assignment.toml under %s)"
MSG_CHOOSE = ("{count} assignment packs are installed; say which with --assignment NAME (or a pack's "
              "folder, or set DNNGRADE_ASSIGNMENT): {names}")
MSG_UNKNOWN = "no assignment pack named {name!r}; the installed ones are: {names} (or give a pack's folder)"
MSG_PACK_MOVED = ("{path} holds the grades of {name!r}, graded from the pack's folder {folder}, which no longer "
                  "holds it: give the pack's folder with --assignment DIR")
MSG_NOT_A_PACK = "{path} is not an assignment pack: it has no assignment.toml"


@dataclass(frozen=True)
class WorkerHelpers:
    """What the worker gives student code (plain data, hashable): the helpers file, the module
    names students import it under, and the modules of the course it stands in for."""

    file: str
    modules: tuple[str, ...]
    standins: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class Assignment:
    """One assignment pack: its folder, its spec and the modules it brings."""

    folder: Path
    spec: AssignmentSpec
    pack: dict  #: the ``[pack]`` table

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def title(self) -> str:
        return self.spec.title

    @property
    def spec_path(self) -> Path:
        return self.folder / SPEC_FILE

    @property
    def cases_dir(self) -> Path:
        return self.folder / "cases"

    @property
    def case_paths(self) -> dict[str, Path]:
        return {"public": self.cases_dir / "public.json", "hidden": self.cases_dir / "hidden.json"}

    @property
    def template_dir(self) -> Path:
        return self.folder / "template"

    @property
    def samples_dir(self) -> Path:
        return self.folder / "samples"

    @property
    def graded_functions(self) -> tuple[str, ...]:
        return tuple(self.spec.functions)

    # -- the pack's code ----------------------------------------------------------------------

    def module(self, key: str, required: bool = True) -> ModuleType | None:
        """The module that ``[pack].key`` names, imported once (None when optional and absent)."""
        target = self.pack.get(key)
        if not target:
            if required:
                raise UserError("%s: [pack] has no %r entry" % (self.spec_path, key))
            return None
        return _import(self.folder, self.name, key, target)

    @cached_property
    def solution(self) -> ModuleType:
        """The reference solutions, one function per graded function (trusted process only)."""
        module = self.module("solution")
        assert module is not None
        return module

    @cached_property
    def helpers(self) -> ModuleType | None:
        """The helpers students import (the reference imports from it too); None for a pack whose
        notebook imports only NumPy."""
        return self.module("helpers", required=False)

    @cached_property
    def helpers_file(self) -> Path | None:
        """The file of the helpers module, which the worker loads in the sandbox (None: no helpers)."""
        if self.pack.get("helpers_file"):
            return self.folder / self.pack["helpers_file"]
        if self.helpers is None:
            return None
        return Path(str(self.helpers.__file__)).resolve()

    def worker_helpers(self) -> WorkerHelpers:
        """The helpers the worker loads for this pack's student code."""
        file = self.helpers_file
        return WorkerHelpers(str(file) if file else "", self.helper_modules if file else (), self.standins)

    @property
    def helper_modules(self) -> tuple[str, ...]:
        return tuple(self.pack.get("helper_modules", ()))

    @property
    def standins(self) -> tuple[str, ...]:
        return tuple(self.pack.get("standins", ()))

    @cached_property
    def generators(self) -> ModuleType:
        module = self.module("generators")
        assert module is not None
        return module

    @cached_property
    def mistakes(self) -> ModuleType:
        module = self.module("mistakes")
        assert module is not None
        return module

    @cached_property
    def hooks(self) -> ModuleType | None:
        """Optional extras of the pack: ``layer_note`` (diagnosis by layer), ``draw_figures``."""
        return self.module("hooks", required=False)

    def hook(self, name: str):
        """The pack's hook ``name``, or None when the pack has none."""
        return getattr(self.hooks, name, None) if self.hooks is not None else None

    def reference(self, function: str):
        """The reference solution of ``function``."""
        return getattr(self.solution, function)

    def solution_namespace(self) -> dict:
        """What a notebook with every function solved holds: ``np``, the helpers, the references."""
        import numpy

        namespace: dict = {"np": numpy, "numpy": numpy}
        if self.helpers is not None:
            namespace.update({name: value for name, value in vars(self.helpers).items()
                              if not name.startswith("_") and callable(value)})
        for name in self.graded_functions:
            namespace[name] = self.reference(name)
        return namespace


def _import(folder: Path, pack_name: str, key: str, target: str) -> ModuleType:
    if not target.endswith(".py"):
        try:
            return importlib.import_module(target)
        except ImportError as error:
            raise UserError("%s: [pack].%s names the module %r, which does not import: %s"
                            % (folder / SPEC_FILE, key, target, error)) from None
    path = (folder / target).resolve()
    module_name = "_dnngrade_pack_%s_%s" % (pack_name, path.stem)
    known = sys.modules.get(module_name)
    if known is not None and getattr(known, "__file__", None) == str(path):
        return known
    if not path.is_file():
        raise UserError("%s: [pack].%s names %s, which does not exist" % (folder / SPEC_FILE, key, path))
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module


def load_assignment(folder: Path | str) -> Assignment:
    """The pack in ``folder``."""
    folder = Path(folder).resolve()
    spec_path = folder / SPEC_FILE
    if not spec_path.is_file():
        raise UserError(MSG_NOT_A_PACK.format(path=folder))
    from graders.spec import read_toml

    raw = read_toml(spec_path)
    return Assignment(folder=folder, spec=load_spec(spec_path), pack=dict(raw.get("pack", {})))


def installed_assignments(folder: Path = ASSIGNMENTS_DIR) -> list[Assignment]:
    """Every pack in ``folder`` (a subfolder holding an ``assignment.toml``), by folder name."""
    found = []
    for candidate in sorted(folder.iterdir()) if folder.is_dir() else []:
        if (candidate / SPEC_FILE).is_file():
            found.append(load_assignment(candidate))
    return found


def find_assignment(choice: str | Path | None = None) -> Assignment:
    """The pack ``choice`` names: an installed pack's name, or a pack's folder; with no choice,
    the one ``$DNNGRADE_ASSIGNMENT`` names, else the only installed pack (an error lists them when
    there are several)."""
    if choice is None or str(choice) == "":
        choice = os.environ.get(ENV_VARIABLE) or None
    if choice is not None and str(choice) != "":
        path = Path(choice)
        if (path / SPEC_FILE).is_file():
            return load_assignment(path)
        packs = installed_assignments()
        for pack in packs:
            if str(choice) in (pack.name, pack.folder.name):
                return pack
        if path.exists() or "/" in str(choice):
            raise UserError(MSG_NOT_A_PACK.format(path=path))
        raise UserError(MSG_UNKNOWN.format(name=str(choice), names=", ".join(p.name for p in packs) or "none"))
    packs = installed_assignments()
    if not packs:
        raise UserError(MSG_NO_PACKS % ASSIGNMENTS_DIR)
    if len(packs) > 1:
        raise UserError(MSG_CHOOSE.format(count=len(packs), names=", ".join(p.name for p in packs)))
    return packs[0]


def for_gradebook(book) -> Assignment:
    """The pack whose grades the open gradebook ``book`` holds (the selected one when the gradebook
    does not say, or says the selected one)."""
    name = book.assignment()
    if not name or (_selected and _selected[0].name == name):
        return current()
    if _selected:
        raise UserError("%s holds the grades of %r, not of %r: leave out --assignment, or give the "
                        "gradebook of %r" % (book.path, name, _selected[0].name, _selected[0].name))
    folder = book.assignment_folder()
    if folder and not any(p.name == name for p in installed_assignments()):
        # a pack graded from its folder (--assignment DIR), not installed: found there, or asked for
        pack = load_assignment(folder) if Path(folder, SPEC_FILE).is_file() else None
        if pack is None or pack.name != name:
            raise UserError(MSG_PACK_MOVED.format(path=book.path, name=name, folder=folder))
        return select(pack)
    return select(find_assignment(name))


_selected: list[Assignment] = []


def select(choice: str | Path | Assignment | None = None) -> Assignment:
    """Make ``choice`` this process's pack (see :func:`find_assignment`) and return it."""
    pack = choice if isinstance(choice, Assignment) else find_assignment(choice)
    _selected[:] = [pack]
    use_names(pack.spec.names())
    return pack


def current() -> Assignment:
    """The selected pack; before any selection, the only installed pack (an error names them
    when there are several: library callers say which with :func:`select`)."""
    if not _selected:
        select(find_assignment(None))
    return _selected[0]
