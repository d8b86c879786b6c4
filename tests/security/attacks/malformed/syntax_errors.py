# attack: cells that do not compile: a syntax error, a bad indent, a stray magic inside code
# %%
def broken(:
    pass
# %%
  x = 1
 y = 2
# %%
if True:
%time x = 1
