"""gpuwise: do I need a GPU to train this model on this data, and is it worth the money?"""

__version__ = "0.1.0"
