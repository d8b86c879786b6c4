"""A pack's mistake library: known wrong ways to write each graded function, and right ways that
differ from the reference.

A pack's ``mistakes`` module (``[pack].mistakes``) builds one :class:`MistakeLibrary` and exposes
``VARIANTS`` (every :class:`Variant`, in file order) and ``wrong_variants(function=None)``, which
:mod:`graders.diagnosis` (to name a student's mistake) and :mod:`graders.audit` (to prove the
cases catch every mistake and pass every right answer) read::

    LIBRARY = MistakeLibrary()
    VARIANTS, wrong_variants = LIBRARY.variants, LIBRARY.wrong_variants
    LIBRARY.wrong("f", "sign_flipped", "The sign is flipped: ...", '''def f(x): return -x''')
    LIBRARY.correct("f", "written_with_a_loop", '''def f(x): ...''')

A variant's source is a complete ``def`` of the graded function, as a student would write it; it
may call the pack's helpers, ``np`` and the other graded functions by name (they hold the
reference solutions wherever it runs). A diagnosis never quotes a value.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

WRONG = "wrong"
CORRECT = "correct"


@dataclass(frozen=True)
class Variant:
    """One alternative implementation of a graded function.

    ``id`` is ``"<function>.<slug>"``; ``kind`` is ``"wrong"`` or ``"correct"``; ``diagnosis``
    (wrong variants) is the sentence shown to a student whose code behaves like this one.
    ``hidden_only`` (wrong variants) says why no public case can show this mistake (say, only a
    one-layer network does, and the public examples have more): the audit then asks only the
    hidden cases to catch it.
    """

    id: str
    function: str
    kind: str
    source: str
    diagnosis: str = ""
    hidden_only: str = ""

    @property
    def slug(self) -> str:
        """The part of the id after the function name."""
        return self.id.split(".", 1)[1]


@dataclass
class MistakeLibrary:
    """The variants of one pack, in the order they are added."""

    variants: list[Variant] = field(default_factory=list)

    def add(self, function: str, slug: str, kind: str, source: str, diagnosis: str = "",
            hidden_only: str = "") -> None:
        self.variants.append(Variant("%s.%s" % (function, slug), function, kind,
                                     textwrap.dedent(source).strip("\n") + "\n", diagnosis, hidden_only))

    def wrong(self, function: str, slug: str, diagnosis: str, source: str, hidden_only: str = "") -> None:
        self.add(function, slug, WRONG, source, diagnosis, hidden_only)

    def correct(self, function: str, slug: str, source: str) -> None:
        self.add(function, slug, CORRECT, source)

    def variants_for(self, function: str, kind: str | None = None) -> list[Variant]:
        """The variants of ``function``, in file order; only those of ``kind`` when given."""
        return [v for v in self.variants if v.function == function and (kind is None or v.kind == kind)]

    def wrong_variants(self, function: str | None = None) -> list[Variant]:
        """Every wrong variant, or those of ``function``."""
        return [v for v in self.variants if v.kind == WRONG and function in (None, v.function)]

    def correct_variants(self, function: str | None = None) -> list[Variant]:
        """Every correct alternative, or those of ``function``."""
        return [v for v in self.variants if v.kind == CORRECT and function in (None, v.function)]

    def variant(self, variant_id: str) -> Variant:
        """The variant with id ``variant_id``; ``KeyError`` when there is none."""
        for entry in self.variants:
            if entry.id == variant_id:
                return entry
        raise KeyError(variant_id)
