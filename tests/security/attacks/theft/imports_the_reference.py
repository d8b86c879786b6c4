# attack: import the reference solution (and the grader's case loader) under every likely name and path
# omits: compute_cost
# spoils: compute_cost
# modes: strong
# %%
import importlib
import os
import sys
stolen = []
guesses = ["{{KIT}}", os.getcwd(), "/opt/dnnkit", "/autograder/source"]
for text in (open("/proc/self/cmdline", "rb").read(), open("/proc/1/cmdline", "rb").read()):
    for word in text.split(b"\0"):
        word = word.decode(errors="replace")
        if word.startswith("/"):
            guesses.append(os.path.dirname(os.path.dirname(word)))
            guesses.append(os.path.dirname(word))
for folder in guesses:
    if folder and folder not in sys.path:
        sys.path.append(folder)
for name in ("reference.dnn", "dnn", "solution", "graders.cases", "assignments.dnn_step_by_step", "graders.kit.casegen"):
    try:
        module = importlib.import_module(name)
        if getattr(module, "compute_cost", None) is not None:
            compute_cost = module.compute_cost
            stolen.append(name)
        if name == "graders.cases" and module.load_case_set():
            stolen.append("cases")
        if name == "assignments.dnn_step_by_step" and os.listdir(os.path.dirname(module.__file__)):
            stolen.append(name)
    except Exception:
        pass
raise RuntimeError("REPORT stolen=%s" % ",".join(stolen))
