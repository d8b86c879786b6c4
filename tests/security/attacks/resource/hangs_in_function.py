# attack: a graded function that never returns
# spoils: compute_cost
# %%
def compute_cost(AL, Y):
    while True:
        pass
