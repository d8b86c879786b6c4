# attack: try to write files outside the submission's scratch folder
# modes: strong
# %%
import os
with open("{{HOSTTMP}}", "w") as handle:  # the sandbox's own /tmp: allowed, but must not reach the host's
    handle.write("planted")
targets = ["{{SENTINEL}}", "{{OUTSIDE}}/planted.txt", "{{KIT}}/planted.txt",
           "{{KIT}}/graders/planted.py", "/planted.txt", "/opt/dnnkit/graders/planted.py", "/usr/planted.txt",
           "/dev/shm/planted.txt", "/var/tmp/planted.txt", "/root/planted.txt"]
written = []
for target in targets:
    try:
        with open(target, "w") as handle:
            handle.write("planted")
        written.append(target)
    except OSError:
        pass
raise RuntimeError("REPORT written=%s" % ",".join(written))
