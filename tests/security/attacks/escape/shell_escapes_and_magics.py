# attack: run shell commands through IPython magics and shell escapes
# modes: strong
# %%
!touch {{SENTINEL}}
%system touch {{SENTINEL}}
files = !touch {{SENTINEL}}
# %%
%%bash
touch {{SENTINEL}}
# %%
%%writefile {{SENTINEL}}
planted
# %%
get_ipython().system("touch {{SENTINEL}}")
