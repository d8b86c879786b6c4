# attack: make the runtime report every step with fields of the wrong type (a timeout whose seconds are text, a detail that is an object, a cell index that is a string), to turn the notebook into "could not grade"
# spoils: initialize_parameters, initialize_parameters_deep, linear_forward, linear_activation_forward, L_model_forward, compute_cost, linear_backward, linear_activation_backward, L_model_backward, update_parameters
# %%
import sys
runtime = sys.modules.get("graders.worker.runtime")
if runtime is not None:
    honest_send = runtime._Emitter.send
    def send(self, header, values=None):
        if header.get("type") == "call":
            header = dict(header, status="timeout", seconds="a while", detail={"nested": [1, 2]})
            values = None
        elif header.get("type") == "cell":
            header = dict(header, seconds=[1], output_capped="yes", output_tail=7)
        return honest_send(self, header, values)
    runtime._Emitter.send = send
