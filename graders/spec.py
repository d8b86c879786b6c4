"""The assignment spec: what each graded function is worth and how its cases are made and compared."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


@dataclass(frozen=True)
class FunctionSpec:
    """One graded function as the spec declares it."""

    name: str
    points: float
    rtol: float
    atol: float
    seed: int | None
    depends_on: tuple[str, ...]
    public: tuple[str | dict, ...]  #: a builder's name, or a generator table as in ``hidden``
    hidden: tuple[dict, ...]
    #: first-parameter names under which changing the caller's arguments is the template's own way
    may_change_if_first: tuple[str, ...] = ()
    #: how a case's share splits over the returned items: item -> share of a returned tuple, or
    #: ``"keys"`` (equal shares over the graded keys of a returned dict); None: no split
    items: dict[str, float] | str | None = None
    #: what the function returns, as messages name it: one name, or one per item of a returned tuple
    returns: str | tuple[str, ...] = "the result"
    arguments: tuple[str, ...] = ()  #: the template's parameter names, for messages
    #: graded keys of a returned dict, by prefix (other keys are neither required nor judged)
    graded_keys: tuple[str, ...] = ()
    #: what a call that runs out of time should look for, said after the reference's own time on
    #: the same inputs (``{argument}`` fields name the case's arguments); "" for the engine's words
    slow_hint: str = ""


@dataclass(frozen=True)
class AssignmentSpec:
    """The whole spec: assignment identity, partial-credit ladder and the graded functions in order."""

    name: str
    title: str
    hidden_seed: int
    partial_credit: dict[str, float]
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    conventions: tuple[dict, ...] = ()  #: published versions' conventions, recognised by their source
    #: names of the items of nested containers, for messages: {container name: {length: "a, b, c"}}
    container_items: dict = field(default_factory=dict)
    #: the import lines of the pack's first cell ([pack] import_cell), for "add this line" messages
    imports: tuple[str, ...] = ()

    def names(self) -> dict:
        """The names messages use (checks.use_names), as plain data for the case files."""
        return {
            "functions": {name: {"returns": list(spec.returns) if isinstance(spec.returns, tuple) else spec.returns,
                                 "arguments": list(spec.arguments), "graded_keys": list(spec.graded_keys)}
                          for name, spec in self.functions.items()},
            "container_items": self.container_items,
        }

    def squeezable_items(self, sources: list[str]) -> tuple[str, ...]:
        """The items that may come back 1-D, under every convention whose marker is in ``sources``
        and none of whose other versions' markers (``unless_source_contains``) is."""
        items: list[str] = []
        for convention in self.conventions:
            marker = convention.get("when_source_contains", "")
            others = convention.get("unless_source_contains", ())
            if (marker and any(marker in source for source in sources)
                    and not any(other in source for other in others for source in sources)):
                items.extend(convention.get("squeezed_items", ()))
        return tuple(items)

    @property
    def total_points(self) -> float:
        """Sum of the points of every graded function."""
        return sum(spec.points for spec in self.functions.values())


def _items(name: str, raw, returned) -> dict[str, float] | str | None:
    """The ``items`` of a function's table, checked: ``"keys"``, or shares that add up to 1 and
    name the returned tuple's items in the order the function returns them."""
    if raw is None or raw == "keys":
        return raw
    if type(raw) is not dict or not isinstance(returned, tuple) or tuple(raw) != returned:
        raise ValueError("functions.%s.items must be \"keys\" or give a share to each of %s, in that order"
                         % (name, returned))
    shares = {item: float(share) for item, share in raw.items()}
    if abs(sum(shares.values()) - 1.0) > 1e-9 or min(shares.values()) < 0:
        raise ValueError("functions.%s.items: the shares must be at least 0 and add up to 1" % name)
    return shares


def read_toml(path: Path | str) -> dict:
    """The TOML file at ``path``, parsed."""
    with open(path, "rb") as handle:
        return tomllib.load(handle)


def _returns(raw):
    """One name (a string, or a list of one: the function returns one value) or a tuple of names."""
    if isinstance(raw, list) and len(raw) == 1:
        return str(raw[0])
    return tuple(raw) if isinstance(raw, list) else str(raw or "the result")


def load_spec(path: Path | str) -> AssignmentSpec:
    """Read ``assignment.toml`` at ``path`` into an :class:`AssignmentSpec` (functions keep the
    file's order). The selected pack's is ``graders.assignment.current().spec``."""
    raw = read_toml(path)
    functions = {
        name: FunctionSpec(
            name=name,
            points=float(entry["points"]),
            rtol=float(entry["rtol"]),
            atol=float(entry["atol"]),
            seed=entry.get("seed"),
            depends_on=tuple(entry.get("depends_on", ())),
            public=tuple(entry.get("public", ())),
            hidden=tuple(entry.get("hidden", ())),
            may_change_if_first=tuple(entry.get("inputs_may_change_if_first_argument", ())),
            items=_items(name, entry.get("items"), _returns(entry.get("returns"))),
            returns=_returns(entry.get("returns")),
            arguments=tuple(entry.get("arguments", ())),
            graded_keys=tuple(entry.get("graded_keys", ())),
            slow_hint=str(entry.get("slow_hint", "")),
        )
        for name, entry in raw["functions"].items()
    }
    return AssignmentSpec(
        name=raw["assignment"]["name"],
        title=raw["assignment"]["title"],
        hidden_seed=int(raw["assignment"]["hidden_seed"]),
        partial_credit={key: float(value) for key, value in raw["partial_credit"].items()},
        functions=functions,
        conventions=tuple(raw.get("conventions", ())),
        container_items={name: ({str(k): v for k, v in value.items()} if isinstance(value, dict) else value)
                         for name, value in raw.get("container_items", {}).items()},
        imports=tuple(line.strip() for line in str(raw.get("pack", {}).get("import_cell", "")).splitlines()
                      if line.startswith(("import ", "from "))),
    )

