# attack: start threads that never end, hoping to keep the process (and its results) hanging
# %%
import threading
import time

def _forever():
    while True:
        time.sleep(0.01)

threading.Thread(target=_forever).start()
threading.Thread(target=_forever, daemon=True).start()
