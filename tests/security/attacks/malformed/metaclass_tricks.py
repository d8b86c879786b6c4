# attack: a graded "function" that is a class with a lying metaclass (name, call, repr all hostile)
# spoils: compute_cost
# %%
class Meta(type):
    __name__ = property(lambda self: 1 / 0)
    def __repr__(self):
        raise RuntimeError("no repr")
    def __call__(cls, *args, **kwargs):
        return cls

class compute_cost(metaclass=Meta):
    pass
