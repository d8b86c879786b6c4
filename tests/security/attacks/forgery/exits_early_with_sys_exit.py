# attack: leave the notebook early with sys.exit, before the graded functions are defined
# where: start
# %%
import sys
sys.exit(0)
