# attack: look for the grader's environment variables: its own, and every /proc/<pid>/environ and cmdline
# %%
import os
secret = "{{MARKER}}"
seen = [key for key, value in os.environ.items() if secret in value or key.startswith("DNNGRADE_TEST")]
for pid in os.listdir("/proc"):
    if pid.isdigit() or pid == "self":
        for name in ("environ", "cmdline"):
            try:
                with open("/proc/%s/%s" % (pid, name), "rb") as handle:
                    if secret.encode() in handle.read():
                        seen.append("%s/%s" % (pid, name))
            except OSError:
                pass
raise RuntimeError("REPORT seen=%s; environ=%d" % (",".join(seen), len(os.environ)))
