# attack: a graded function that ends the process with status 0, as if everything had finished
# spoils: compute_cost
# %%
import os

def compute_cost(AL, Y):
    os._exit(0)
