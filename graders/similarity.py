"""Which submissions of a class share code, per graded function, with the starter code removed.

Evidence for a human to read, never a verdict: nothing here changes a grade.

How a pair is scored, for one function
--------------------------------------
1. Each student's function source (the last definition, as graded) loses its docstring and blank
   lines. ``copydetect`` (winnowing over tokens with every name replaced by a placeholder, so
   renamed variables still match) turns it into fingerprints; fingerprints of the starter code
   (the released notebook and older course templates) are dropped as boilerplate.
2. **The class is the baseline.** A fingerprint found in more than :data:`COMMON_SHARE` of the
   class's sources is how most students write it (most correct bodies of a one-line function look
   alike) and counts for nothing. Every rarer fingerprint two students share adds
   ``log(class size / students who have it)``: a fragment only those two wrote adds the most.
3. Shared odd identifiers, string literals, comments, whole lines and line patterns (names
   replaced, strings and numbers kept) that are not in the starter code and are
   found in at most :data:`COMMON_SHARE` of the class add the same rarity weight, twice for a
   comment. Lines catch what the name-blind fingerprints cannot see, such as two names swapped.
4. Shared wrong code weighs more: the pair's score is multiplied by :data:`BOTH_WRONG` when both
   lost points on the function, by :data:`SAME_MISTAKE` when their first failing message is also
   the same.

A pair's overall score is the sum over functions. Pairs are ranked by it; the report shows the top
ones with their matching regions highlighted.
"""

from __future__ import annotations

import ast
import io
import keyword
import math
import multiprocessing
import re
import tokenize
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from graders.errors import UserError

COMMON_SHARE = 0.1  #: a fragment in more than this share of the class is how most write it
MIN_RARE_COUNT = 2  #: ...but a fragment two students share is always rare
BOTH_WRONG = 1.5
SAME_MISTAKE = 2.0
COMMENT_WEIGHT = 2.0
NOISE = 12  #: k: shortest fragment (in filtered characters) that can count as a match
GUARANTEE = 16  #: a shared fragment this long is always seen (winnowing window = GUARANTEE - NOISE + 1)
TOP_PAIRS = 25  #: pairs kept per function and overall

MSG_NO_COPYDETECT = (
    "dnngrade similarity compares code with copydetect, which is not installed; run "
    'pip install "dnn-step-by-step-grader[similarity]" (or pip install copydetect) and try again'
)
MSG_NO_DASK = '--scheduler needs the dask extra: pip install "dnn-step-by-step-grader[dask]"'


@dataclass(frozen=True)
class Submission:
    """One student's graded functions: their sources and how each fared."""

    student_id: str
    sources: dict[str, str]
    lost_points: dict[str, bool] = field(default_factory=dict)  #: function -> scored below its maximum
    first_failure: dict[str, str] = field(default_factory=dict)  #: function -> first failing message


@dataclass(frozen=True)
class Pair:
    """Two students' code of one function, and why they look alike."""

    function: str
    a: str
    b: str
    score: float
    shared_fragments: int  #: rare fingerprints both have
    odd_shared: tuple[str, ...]  #: shared odd identifiers, strings and comments (a few)
    both_wrong: bool
    same_mistake: bool
    spans_a: tuple[tuple[int, int], ...]  #: character ranges of ``a``'s normalised source that match
    spans_b: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class OverallPair:
    a: str
    b: str
    score: float
    functions: tuple[tuple[str, float], ...]  #: per function, its share of the score, largest first


@dataclass
class SimilarityRun:
    """A whole class's comparison: the data every renderer reads."""

    functions: list[str]
    students: list[str]
    compared: dict[str, int]  #: function -> sources compared
    pairs: dict[str, list[Pair]]  #: function -> top pairs, best first
    overall: list[OverallPair]
    details: dict[str, list[Pair]]  #: function -> every pair shown anywhere (top or overall), with its regions
    sources: dict[str, dict[str, str]]  #: function -> student -> normalised source (of students in a top pair)
    missing: dict[str, str] = field(default_factory=dict)  #: student -> why their code was not compared
    settings: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


# -- normalising -------------------------------------------------------------------------------------


def normalise(source: str) -> str:
    """``source`` without its docstring, blank lines and trailing spaces."""
    lines = source.splitlines()
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        tree = None
    if tree is not None:
        drop: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
                first = node.body[0]
                if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                        and isinstance(first.value.value, str)):
                    drop.update(range(first.lineno - 1, (first.end_lineno or first.lineno)))
        lines = [line for index, line in enumerate(lines) if index not in drop]
    return "\n".join(line.rstrip() for line in lines if line.strip()) + "\n"


def _odd_tokens(source: str) -> set[str]:
    """What two copies keep in common that fingerprints can miss, as comparable strings:
    identifiers, string literals, comments, whole lines, and each line's pattern (its names
    replaced, its strings and numbers kept, so a renamed copy of a one-string mistake still shows)."""
    found: set[str] = set()
    patterns: dict[int, list[str]] = defaultdict(list)
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            line = token.start[0]
            if token.type == tokenize.NAME:
                if len(token.string) > 2:
                    found.add("name " + token.string)
                patterns[line].append(token.string if keyword.iskeyword(token.string) else "_")
            elif token.type == tokenize.STRING:
                if len(token.string) > 4:
                    found.add("string " + token.string)
                patterns[line].append(token.string)
            elif token.type == tokenize.COMMENT:
                text = re.sub(r"\W+", " ", token.string).strip().lower()
                if len(text) > 8:
                    found.add("comment # " + text)
            elif token.type in (tokenize.OP, tokenize.NUMBER):
                patterns[line].append(token.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    for parts in patterns.values():
        pattern = "".join(parts)
        if len(pattern) > 12 and not pattern.startswith("def"):
            found.add("pattern " + pattern)
    for text in source.splitlines():
        code = re.sub(r"\s+", "", text.split("#", 1)[0])
        if len(code) > 10 and not code.startswith("def"):
            found.add("line " + code)
    return found


# -- comparing one function --------------------------------------------------------------------------


def _copydetect():
    try:
        import copydetect.utils
        from copydetect import CodeFingerprint, compare_files
    except ImportError:
        raise UserError(MSG_NO_COPYDETECT) from None
    copydetect.utils.hashed_kgrams = stable_kgram_hashes
    return CodeFingerprint, compare_files


def stable_kgram_hashes(text: str, k: int):
    """Hashes of every ``k``-character slice of ``text`` that are the same in every process.

    copydetect hashes with Python's ``hash``, whose seed differs per process unless
    ``PYTHONHASHSEED`` is fixed, and a Dask worker's is not; so the fingerprints, the scores and the
    highlighted regions would change from run to run. :func:`_copydetect` puts this in its place:
    a polynomial hash of the code points, mixed (as splitmix64 does) so winnowing's minima spread
    evenly. Unsigned 64-bit arithmetic wraps around, which is what a hash wants.
    """
    import numpy as np

    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    count = len(codes) - k + 1
    if count <= 0:
        return np.array([], dtype=np.int64)
    value = np.zeros(count, dtype=np.uint64)
    for offset in range(k):
        value = value * np.uint64(1_000_003) + codes[offset:offset + count]
    value ^= value >> np.uint64(30)
    value *= np.uint64(0xBF58476D1CE4E5B9)
    value ^= value >> np.uint64(27)
    value *= np.uint64(0x94D049BB133111EB)
    value ^= value >> np.uint64(31)
    return value.view(np.int64)


def _fingerprint(source: str, boilerplate):
    CodeFingerprint, _ = _copydetect()
    return CodeFingerprint("code.py", NOISE, GUARANTEE - NOISE + 1, boilerplate=boilerplate, language="python",
                           fp=io.StringIO(source))


@dataclass
class _Scored:
    """One function's comparison, in a form that crosses processes (no fingerprint objects: the
    rare fragments travel as text, which the report also shows)."""

    function: str
    scores: dict[tuple[str, str], float]
    fragments: dict[tuple[str, str], int]
    odd: dict[tuple[str, str], tuple[str, ...]]
    rare_grams: set[str]


def _boilerplate(starter: list[str]):
    import numpy as np

    hashes: set = set()
    tokens: set[str] = set()
    for text in starter:
        hashes.update(_fingerprint(normalise(text), None).hashes)
        tokens |= _odd_tokens(text)
    return np.array(sorted(hashes), dtype=np.int64), tokens


def score_function(function: str, submissions: list[Submission], starter: list[str]) -> _Scored:
    """Score every pair of ``submissions`` that share rare code of ``function``."""
    boilerplate, starter_tokens = _boilerplate(starter)
    students = [s for s in submissions if s.sources.get(function, "").strip()]
    count = len(students)
    texts = {s.student_id: normalise(s.sources[function]) for s in students}
    prints = {sid: _fingerprint(text, boilerplate) for sid, text in texts.items()}
    odd = {sid: _odd_tokens(text) - starter_tokens for sid, text in texts.items()}

    rare_limit = max(MIN_RARE_COUNT, int(COMMON_SHARE * count))
    owners: dict = defaultdict(list)
    for sid, fingerprint in prints.items():
        for value in fingerprint.hashes:
            owners[value].append(sid)
    token_owners: dict[str, list[str]] = defaultdict(list)
    for sid, tokens in odd.items():
        for token in tokens:
            token_owners[token].append(sid)

    scores: dict[tuple[str, str], float] = defaultdict(float)
    fragments: dict[tuple[str, str], int] = defaultdict(int)
    shared_odd: dict[tuple[str, str], list[tuple[float, str]]] = defaultdict(list)
    rare_grams: set[str] = set()
    for value, who in owners.items():
        if 2 <= len(who) <= rare_limit:
            holder = prints[who[0]]
            start = holder.hash_idx[value][0]
            rare_grams.add(holder.filtered_code[start:start + NOISE])
            weight = math.log(count / len(who))
            for pair in _pairs(who):
                scores[pair] += weight
                fragments[pair] += 1
    for token, who in token_owners.items():
        if 2 <= len(who) <= rare_limit:
            weight = math.log(count / len(who)) * (COMMENT_WEIGHT if token.startswith("comment") else 1.0)
            for pair in _pairs(who):
                scores[pair] += weight
                shared_odd[pair].append((weight, token))

    by_id = {s.student_id: s for s in students}
    for pair in scores:
        both_wrong, same = _wrongness(function, by_id[pair[0]], by_id[pair[1]])
        if both_wrong:
            scores[pair] *= SAME_MISTAKE if same else BOTH_WRONG
    odd_top = {pair: tuple(token for _, token in sorted(found, reverse=True)[:5]) for pair, found in shared_odd.items()}
    return _Scored(function, dict(scores), dict(fragments), odd_top, rare_grams)


def _only(submissions: list[Submission], function: str) -> list[Submission]:
    """What one function's task needs to carry to another process: that function, nothing else."""
    return [Submission(s.student_id, {function: s.sources[function]},
                       {function: s.lost_points.get(function, False)},
                       {function: s.first_failure.get(function, "")})
            for s in submissions if s.sources.get(function, "").strip()]


def _wrongness(function: str, first: Submission, second: Submission) -> tuple[bool, bool]:
    both_wrong = bool(first.lost_points.get(function) and second.lost_points.get(function))
    failure = first.first_failure.get(function, "")
    return both_wrong, both_wrong and failure != "" and failure == second.first_failure.get(function, "")


def _pairs(who: list[str]) -> Iterable[tuple[str, str]]:
    ordered = sorted(who)
    for index, first in enumerate(ordered):
        for second in ordered[index + 1:]:
            yield first, second


def matching_spans(first: str, second: str, boilerplate, rare_grams: set[str]):
    """Character ranges of two normalised sources covered by the rare fragments they share."""
    _, compare_files = _copydetect()
    views = []
    for text in (first, second):
        fingerprint = _fingerprint(text, boilerplate)
        keep = {value for value, places in fingerprint.hash_idx.items()
                if fingerprint.filtered_code[places[0]:places[0] + NOISE] in rare_grams}
        fingerprint.hashes = keep
        fingerprint.hash_idx = {value: fingerprint.hash_idx[value] for value in keep}
        views.append(fingerprint)
    _, _, (slices_a, slices_b) = compare_files(views[0], views[1])

    def spans(slices) -> tuple[tuple[int, int], ...]:
        if len(slices) == 0 or len(slices[0]) == 0:
            return ()
        return tuple((int(start), int(end)) for start, end in zip(slices[0], slices[1]))

    return spans(slices_a), spans(slices_b)


# -- a whole class -----------------------------------------------------------------------------------


def _score_job(job: tuple) -> _Scored:
    return score_function(*job)


def _spans_job(job: tuple) -> dict[tuple[str, str], tuple]:
    starter, rare_grams, texts = job
    boilerplate, _ = _boilerplate(starter)
    return {(a, b): matching_spans(text_a, text_b, boilerplate, rare_grams) for a, b, text_a, text_b in texts}


class _Runner:
    """Where the work runs: spawned processes, or a Dask cluster. Fingerprints use
    :func:`stable_kgram_hashes`, so both give the same report on every run."""

    def __init__(self, workers: int, scheduler: str | None):
        self.scheduler = scheduler
        self.client = None
        self.pool = None
        if scheduler:
            try:
                from dask.distributed import Client
            except ImportError:
                raise UserError(MSG_NO_DASK) from None
            self.client = Client(scheduler, timeout=30)
            return
        self.pool = multiprocessing.get_context("spawn").Pool(max(1, workers))

    def map(self, function, jobs: list) -> list:
        if self.client is not None:
            return self.client.gather(self.client.map(function, jobs, pure=False))
        assert self.pool is not None
        return self.pool.map(function, jobs, chunksize=1)

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()


def compare_class(submissions: list[Submission], functions: list[str], starter: dict[str, list[str]],
                  top: int = TOP_PAIRS, workers: int = 1, scheduler: str | None = None) -> SimilarityRun:
    """Compare every function of every submission, one function per task, in ``workers`` spawned
    processes or on the Dask cluster at ``scheduler``."""
    _copydetect()
    runner = _Runner(min(workers, max(1, len(functions))), scheduler)
    try:
        return _compare(submissions, functions, starter, top, runner)
    finally:
        runner.close()


def _compare(submissions, functions, starter, top, runner: _Runner) -> SimilarityRun:
    results = runner.map(_score_job, [(function, _only(submissions, function), starter.get(function, []))
                                      for function in functions])
    scored = {result.function: result for result in results}

    by_id = {s.student_id: s for s in submissions}
    totals: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for result in results:
        for pair, score in result.scores.items():
            totals[pair][result.function] = score
    overall = sorted(
        (OverallPair(a, b, round(sum(parts.values()), 3),
                     tuple(sorted(((f, round(v, 3)) for f, v in parts.items()), key=lambda item: (-item[1], item[0]))))
         for (a, b), parts in totals.items()),
        key=lambda pair: (-pair.score, pair.a, pair.b))[:top]

    wanted: dict[str, set[tuple[str, str]]] = {function: set() for function in functions}
    per_function: dict[str, list[tuple[tuple[str, str], float]]] = {}
    for function in functions:
        ranked = sorted(scored[function].scores.items(), key=lambda item: (-item[1], item[0]))[:top]
        per_function[function] = ranked
        wanted[function].update(pair for pair, _ in ranked)
    for pair in overall:
        for function, _ in pair.functions:
            wanted[function].add((pair.a, pair.b))

    shown: dict[str, dict[str, str]] = {}
    for function in functions:
        shown[function] = {}
        for pair in wanted[function]:
            for sid in pair:
                shown[function].setdefault(sid, normalise(by_id[sid].sources[function]))
    spans = runner.map(_spans_job, [
        (starter.get(function, []), scored[function].rare_grams,
         [(a, b, shown[function][a], shown[function][b]) for a, b in sorted(wanted[function])])
        for function in functions])

    pairs: dict[str, list[Pair]] = {}
    details: dict[str, list[Pair]] = {}
    for function, found in zip(functions, spans):
        result = scored[function]
        built = {}
        for (a, b), (spans_a, spans_b) in found.items():
            both_wrong, same = _wrongness(function, by_id[a], by_id[b])
            built[(a, b)] = Pair(function, a, b, round(result.scores[(a, b)], 3), result.fragments.get((a, b), 0),
                                 result.odd.get((a, b), ()), both_wrong, same, spans_a, spans_b)
        pairs[function] = [built[pair] for pair, _ in per_function[function]]
        details[function] = [built[key] for key in sorted(built)]
    sources = {function: dict(sorted(texts.items())) for function, texts in shown.items()}
    return SimilarityRun(functions=list(functions), students=sorted(by_id),
                         compared={f: sum(1 for s in submissions if s.sources.get(f, "").strip()) for f in functions},
                         pairs=pairs, overall=overall, details=details, sources=sources,
                         settings={"noise": NOISE, "guarantee": GUARANTEE, "common_share": COMMON_SHARE,
                                   "both_wrong": BOTH_WRONG, "same_mistake": SAME_MISTAKE,
                                   "comment_weight": COMMENT_WEIGHT, "top": top})
