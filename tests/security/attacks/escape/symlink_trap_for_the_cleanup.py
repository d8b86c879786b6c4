# attack: leave links to outside files so that the worker's cleanup deletes them
# modes: strong
# %%
import os
for folder in (".", "/tmp"):
    for index, target in enumerate(("{{OUTSIDE}}", "{{OUTSIDE}}/beside.txt", "/", "{{KIT}}")):
        try:
            os.symlink(target, os.path.join(folder, "link%d" % index))
        except OSError:
            pass
os.makedirs("locked/inner", exist_ok=True)
with open("locked/inner/file", "w") as handle:
    handle.write("x")
os.chmod("locked/inner", 0)
os.chmod("locked", 0)
