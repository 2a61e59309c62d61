"""Deprecated: the first name of fairtrace.investigations, kept until v0.3."""
import warnings

from fairtrace.investigations import *  # noqa: F401,F403
from fairtrace.investigations import Investigations, read_files  # noqa: F401

warnings.warn("fairtrace.experiments is deprecated; use fairtrace.investigations", DeprecationWarning, stacklevel=2)
