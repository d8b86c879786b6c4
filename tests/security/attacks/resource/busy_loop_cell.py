# attack: a cell that spins forever in pure Python
# %%
while True:
    pass
