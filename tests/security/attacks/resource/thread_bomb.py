# attack: start as many threads as possible (stops itself after 40)
# %%
import threading
import time

threads, why = 0, "none"
for _ in range(40):
    try:
        threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
    except RuntimeError as error:
        why = "RuntimeError"
        break
    threads += 1
raise RuntimeError("REPORT threads=%d; why=%s" % (threads, why))
