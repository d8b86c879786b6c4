"""The assignment packs the suite tests, and the paths of the first one's files."""

from graders.assignment import ASSIGNMENTS_DIR, load_assignment

STEP_BY_STEP = load_assignment(ASSIGNMENTS_DIR / "dnn_step_by_step")
PUBLIC_CASES_PATH = STEP_BY_STEP.case_paths["public"]
HIDDEN_CASES_PATH = STEP_BY_STEP.case_paths["hidden"]
CASE_PATHS = STEP_BY_STEP.case_paths
