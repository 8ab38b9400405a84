"""The verdict's public names, kept where callers import them: the code lives in ``gpuwise.core.decide``."""

from gpuwise.core.decide import *  # noqa: F403
from gpuwise.core.decide import __all__  # noqa: F401
