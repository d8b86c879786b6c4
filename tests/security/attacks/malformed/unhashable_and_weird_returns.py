# attack: return generators, functions, modules, classes and exceptions instead of values
# spoils: compute_cost, update_parameters
# %%
import sys
_calls = []

def compute_cost(AL, Y):
    _calls.append(1)
    return ((x for x in range(3)), compute_cost, sys, type, ValueError("x"), Ellipsis)[len(_calls) % 6]

def update_parameters(params, grads, learning_rate):
    return {1: "one", (2,): [3]}
