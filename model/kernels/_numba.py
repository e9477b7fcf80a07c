"""How every kernel is compiled (imported by the kernel modules only, never by
``model/kernels/__init__.py``, so the numpy engine never loads numba)."""

from __future__ import annotations

import numba

#: machine code cached beside the source (or in ``NUMBA_CACHE_DIR``) so only the first
#: process on a machine compiles; the GIL released (threads may run kernels side by
#: side); no bounds checks (the callers pass arrays of the sizes the kernels expect)
OPTIONS = {"cache": True, "nogil": True, "boundscheck": False}


def jit(*signatures):
    """``numba.njit`` with ``OPTIONS``, compiled once for these signatures when the kernel
    module is first imported (or loaded from the cache); with none, for the argument types
    of each first call."""
    return numba.njit(list(signatures), **OPTIONS) if signatures else numba.njit(**OPTIONS)
