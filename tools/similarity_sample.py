"""Classes built from the reference and the mistake library, with planted copies, for the
similarity report's tests (``planted_class``) and its benchmark (``large_class``).

In the 40-student class most students write the reference's code (as most of a real class writes the usual solution);
the others each use one right-but-different or wrong variant, no variant twice. Three students
hand in the untouched template. Four copies are planted, one of each kind: verbatim, with renamed
variables, with reordered statements, with added comments.
"""

from __future__ import annotations

import io
import random
import re
import tokenize

from assignments.dnn_step_by_step.mistakes import VARIANTS, WRONG
from graders.assignment import current
from graders.kit.nbbuild import solution_source, stub_source
from graders.similarity import Submission

FUNCTIONS = list(current().spec.functions)
CLASS_SIZE = 40
STUBS = ("stub_1", "stub_2", "stub_3")
#: copy -> the student it copies
PLANTED = {"copy_verbatim": "s03", "copy_renamed": "s11", "copy_reordered": "s17", "copy_commented": "s26"}
RENAMES = {"A_prev": "prev_activation", "dZ": "grad_z", "dW": "grad_w", "db": "grad_b", "cache": "stored",
           "caches": "stored_list", "grads": "gradients", "parameters": "params_out", "m": "n_examples",
           "L": "n_layers", "Z": "pre", "A": "act", "W": "weights", "b": "bias", "cost": "loss",
           "linear_cache": "lin_c", "activation_cache": "act_c", "current_cache": "here", "l": "layer"}


def renamed(source: str) -> str:
    """``source`` with its local names changed (the signature keeps the graded function's name)."""
    out = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.NAME and token.string in RENAMES:
            token = token._replace(string=RENAMES[token.string])
        out.append(token)
    return tokenize.untokenize(out)


def reordered(source: str) -> str:
    """``source`` with the first two neighbouring independent assignments swapped."""
    lines = source.splitlines()
    assignment = re.compile(r"^(\s+)(\w+)\s*=[^=]")
    for index in range(len(lines) - 1):
        first, second = assignment.match(lines[index]), assignment.match(lines[index + 1])
        if not (first and second) or first.group(1) != second.group(1):
            continue
        if re.search(r"\b%s\b" % first.group(2), lines[index + 1]) or re.search(r"\b%s\b" % second.group(2),
                                                                               lines[index]):
            continue
        lines[index], lines[index + 1] = lines[index + 1], lines[index]
        break
    return "\n".join(lines) + "\n"


def commented(source: str) -> str:
    """``source`` with a comment after every body line and blank lines between them."""
    out = []
    for number, line in enumerate(source.splitlines()):
        out.append(line)
        if number and line.strip() and not line.rstrip().endswith((",", "(", "\\")):
            out[-1] = line + "  # step %d, as the lecture showed" % number
            out.append("")
    return "\n".join(out) + "\n"


COPIERS = {"copy_verbatim": lambda s: s, "copy_renamed": renamed, "copy_reordered": reordered,
           "copy_commented": commented}


#: the variants the planted class hands out, named: the mistake library grows (each new variant
#: goes to some student), and the test's class must not change with it
CLASS_VARIANTS = frozenset({
    "L_model_backward.dAL_divided_by_m", "L_model_backward.dAL_first_term_only", "L_model_backward.dAL_is_dZ",
    "L_model_backward.dAL_sign", "L_model_backward.grads_keys_off_by_one", "L_model_backward.hard_coded_L",
    "L_model_backward.hidden_layers_sigmoid", "L_model_backward.last_layer_relu",
    "L_model_backward.loop_not_reversed", "L_model_backward.negative_index_and_fstrings",
    "L_model_backward.running_gradient", "L_model_backward.wrong_cache_in_loop",
    "L_model_forward.X_fed_to_every_layer", "L_model_forward.activations_swapped", "L_model_forward.all_sigmoid",
    "L_model_forward.caches_reversed", "L_model_forward.fstrings_and_concatenation", "L_model_forward.hard_coded_L",
    "L_model_forward.last_cache_missing", "L_model_forward.last_layer_relu",
    "L_model_forward.layers_counted_from_keys", "L_model_forward.len_parameters",
    "L_model_forward.loop_stops_early", "compute_cost.AL_and_Y_swapped", "compute_cost.first_term_only",
    "compute_cost.hard_coded_m", "compute_cost.log_of_wrong_term", "compute_cost.log_terms_swapped",
    "compute_cost.matmul_and_item", "compute_cost.missing_1_over_m", "compute_cost.missing_minus",
    "compute_cost.missing_transpose", "compute_cost.not_squeezed", "compute_cost.not_summed",
    "compute_cost.np_mean", "compute_cost.python_float", "initialize_parameters.W2_drawn_first",
    "initialize_parameters.biases_1d", "initialize_parameters.biases_int", "initialize_parameters.biases_random",
    "initialize_parameters.caller_seeded", "initialize_parameters.divide_by_100",
    "initialize_parameters.hard_coded_shapes", "initialize_parameters.normal_draws",
    "initialize_parameters.uniform_draws", "initialize_parameters.weights_not_scaled",
    "initialize_parameters.weights_scale_0_1", "initialize_parameters.weights_transposed",
    "initialize_parameters.weights_zero", "initialize_parameters.wrong_seed",
    "initialize_parameters_deep.biases_1d", "initialize_parameters_deep.biases_random",
    "initialize_parameters_deep.caller_seeded", "initialize_parameters_deep.fstrings_and_normal",
    "initialize_parameters_deep.hard_coded_L", "initialize_parameters_deep.loop_starts_at_zero",
    "initialize_parameters_deep.loop_stops_early", "initialize_parameters_deep.sqrt_scaling",
    "initialize_parameters_deep.uniform_draws", "initialize_parameters_deep.weights_not_scaled",
    "initialize_parameters_deep.weights_transposed", "initialize_parameters_deep.wrong_seed",
    "initialize_parameters_deep.zeros_shape_not_a_tuple", "initialize_parameters_deep.zip_of_sizes",
    "linear_activation_backward.always_relu_backward", "linear_activation_backward.always_sigmoid_backward",
    "linear_activation_backward.backward_helpers_swapped",
    "linear_activation_backward.caches_unpacked_in_wrong_order", "linear_activation_backward.dA_changed_in_place",
    "linear_activation_backward.derivatives_by_hand", "linear_activation_backward.no_activation_gradient",
    "linear_activation_backward.relu_forward_used", "linear_activation_backward.relu_gradient_at_zero",
    "linear_activation_backward.sigmoid_derivative_at_Z",
    "linear_activation_backward.sigmoid_derivative_missing_factor", "linear_activation_backward.where_and_dispatch",
    "linear_activation_forward.activation_cache_holds_A", "linear_activation_forward.activations_by_hand",
    "linear_activation_forward.activations_swapped", "linear_activation_forward.always_relu",
    "linear_activation_forward.always_sigmoid", "linear_activation_forward.cache_order",
    "linear_activation_forward.dispatch_table", "linear_activation_forward.linear_forward_arguments_swapped",
    "linear_activation_forward.max_instead_of_maximum", "linear_activation_forward.no_activation",
    "linear_activation_forward.relu_in_place", "linear_activation_forward.sigmoid_sign",
    "linear_backward.both_missing_1_over_m", "linear_backward.dA_prev_divided_by_m",
    "linear_backward.dA_prev_missing_transpose", "linear_backward.dW_missing_1_over_m",
    "linear_backward.dW_transposed", "linear_backward.db_missing_1_over_m", "linear_backward.db_sum_of_everything",
    "linear_backward.db_sum_over_units", "linear_backward.db_without_keepdims", "linear_backward.hard_coded_m",
    "linear_backward.m_from_rows", "linear_backward.matmul_and_mean", "linear_backward.reshape_db",
    "linear_forward.Z_transposed", "linear_forward.bias_subtracted", "linear_forward.cache_holds_Z",
    "linear_forward.cache_is_dict", "linear_forward.cache_missing_b", "linear_forward.cache_order",
    "linear_forward.dot_method", "linear_forward.elementwise_product", "linear_forward.first_bias_only",
    "linear_forward.matmul_operator", "linear_forward.missing_bias", "linear_forward.np_matmul",
    "update_parameters.b_not_updated", "update_parameters.b_updated_with_dW",
    "update_parameters.deepcopy_then_in_place", "update_parameters.dict_comprehension",
    "update_parameters.hard_coded_L", "update_parameters.learning_rate_missing", "update_parameters.len_parameters",
    "update_parameters.loop_starts_at_zero", "update_parameters.modifies_callers_arrays",
    "update_parameters.plus_instead_of_minus", "update_parameters.pre_w4a1_in_place",
    "update_parameters.pre_w4a1_template_updates_callers_dict", "update_parameters.rebinds_callers_dict",
    "update_parameters.shallow_copy_new_arrays", "update_parameters.skips_last_layer",
})


def planted_class(seed: int = 7) -> list[Submission]:
    """The class: ``s01``..``s33``, the stubs and the four copies (40 in all)."""
    rng = random.Random(seed)
    originals = ["s%02d" % n for n in range(1, CLASS_SIZE - len(STUBS) - len(PLANTED) + 1)]
    sources: dict[str, dict[str, str]] = {sid: {} for sid in originals}
    wrong: dict[str, dict[str, bool]] = {sid: {} for sid in originals}
    failure: dict[str, dict[str, str]] = {sid: {} for sid in originals}
    copied = list(PLANTED.values())
    for function in FUNCTIONS:
        variants = [v for v in VARIANTS if v.function == function and v.id in CLASS_VARIANTS]
        rng.shuffle(variants)
        # every copied student writes something of their own here; the rest of the variants go
        # to students drawn at random, one variant each, and everyone else writes the reference
        takers = copied + rng.sample([sid for sid in originals if sid not in copied], k=max(0, len(variants) - 4))
        own = dict(zip(takers, variants))
        for sid in originals:
            variant = own.get(sid)
            sources[sid][function] = variant.source if variant else solution_source(function)
            wrong[sid][function] = bool(variant and variant.kind == WRONG)
            failure[sid][function] = variant.id if variant and variant.kind == WRONG else ""
    students = [Submission(sid, sources[sid], wrong[sid], failure[sid]) for sid in originals]
    for sid in STUBS:
        students.append(Submission(sid, {f: stub_source(f) for f in FUNCTIONS}, {f: True for f in FUNCTIONS},
                                   {f: "not implemented yet" for f in FUNCTIONS}))
    for copy, original in PLANTED.items():
        students.append(Submission(copy, {f: COPIERS[copy](sources[original][f]) for f in FUNCTIONS},
                                   wrong[original], failure[original]))
    return students


def starter_code() -> dict[str, list[str]]:
    return {function: [stub_source(function)] for function in FUNCTIONS}


TAGS = ("cur", "new", "tmp", "val", "out", "here", "now", "l", "i", "x")
REMARKS = ("compute it", "as in the lecture", "see the formula", "vectorised", "shape check", "from the cache",
           "update", "the next layer", "keep for backward", "average over examples", "formula", "done")


def personal_style(rng: random.Random):
    """One student's habits: their own names for some locals, comments of their own, or two
    statements in another order (as many write them), or none of these."""
    roll = rng.random()
    if roll < 0.2:
        names = {name: "%s_%s" % (name, rng.choice(TAGS)) for name in RENAMES if rng.random() < 0.5}

        def rename(source: str) -> str:
            out = []
            for token in tokenize.generate_tokens(io.StringIO(source).readline):
                if token.type == tokenize.NAME and token.string in names:
                    token = token._replace(string=names[token.string])
                out.append(token)
            return tokenize.untokenize(out)
        return rename
    if roll < 0.35:
        remarks = rng.sample(REMARKS, 4)

        def comment(source: str) -> str:
            lines = source.splitlines()
            return "\n".join(line + "  # " + remarks[n % 4] if n and line.strip() and rng.random() < 0.4
                             and not line.rstrip().endswith((",", "(", "\\")) else line
                             for n, line in enumerate(lines)) + "\n"
        return comment
    return reordered if roll < 0.5 else None


def large_class(size: int, seed: int = 3) -> tuple[list[Submission], dict[str, str]]:
    """A class of ``size`` students for timing, and the copies planted in it (copy -> original).

    Each student writes, per function, the reference (70%) or one of the library's variants drawn
    at random, so common variants recur as they do in a real class, in a style of their own
    (:func:`personal_style`). About 1% of the class hands in the untouched template, and 1% (at
    least four, one of each kind) copies another student with one of the four copiers; the copied
    students are ones with code of their own (a copy of the usual solution is the usual solution).
    """
    rng = random.Random(seed)
    kinds = list(COPIERS)
    copies = max(len(kinds), size // 100)
    stubs = max(1, size // 100)
    students: list[Submission] = []
    own: list[Submission] = []
    for number in range(size - copies - stubs):
        sources, wrong, failure = {}, {}, {}
        style = personal_style(rng)
        for function in FUNCTIONS:
            variants = [v for v in VARIANTS if v.function == function]
            variant = rng.choice(variants) if variants and rng.random() < 0.3 else None
            source = variant.source if variant else solution_source(function)
            sources[function] = style(source) if style else source
            wrong[function] = bool(variant and variant.kind == WRONG)
            failure[function] = variant.id if variant and variant.kind == WRONG else ""
        student = Submission("s%05d" % number, sources, wrong, failure)
        students.append(student)
        if style is not None and style is not reordered:
            own.append(student)
    for number in range(stubs):
        students.append(Submission("stub%03d" % number, {f: stub_source(f) for f in FUNCTIONS},
                                   {f: True for f in FUNCTIONS}, {f: "not implemented yet" for f in FUNCTIONS}))
    planted = {}
    for number, original in enumerate(rng.sample(own, copies)):
        kind = kinds[number % len(kinds)]
        copy = "%s%03d" % (kind, number)
        students.append(Submission(copy, {f: COPIERS[kind](s) for f, s in original.sources.items()},
                                   original.lost_points, original.first_failure))
        planted[copy] = original.student_id
    return students, planted
