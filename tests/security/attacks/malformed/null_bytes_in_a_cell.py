# attack: cells holding NUL bytes and lone surrogates, which break naive compilers and encoders
# %%
x = 1  # {{NUL}}
# %%
y = "{{SURROGATE}}"
# %%
raise RuntimeError("bad \ud800 text \x00 " + "z" * 100000)
