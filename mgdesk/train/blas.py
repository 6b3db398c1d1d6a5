"""NumPy's BLAS on one thread, for processes that train while another thread needs a core.

OpenBLAS's worker threads spin for a core. In the window the GUI thread needs one; on the
command line the machine is often busy with something else. Measured here at 64,64 x 1000:
the window trained at 10-20 steps/s with two BLAS threads and 130-160 with one, and
`mgdesk train` took 4.8 ms a step with two and 2.4 with one (PyTorch, in-process: 2.9).
"""

import ctypes
import glob
import os

__all__ = ["one_blas_thread"]


BLAS_SET_THREADS = (  # the names OpenBLAS builds give the setter (NumPy 2 wheels: the first)
    "scipy_openblas_set_num_threads64_",
    "scipy_openblas_set_num_threads",
    "openblas_set_num_threads64_",
    "openblas_set_num_threads",
)


def one_blas_thread():
    """Make the OpenBLAS library NumPy loaded compute on one thread; True if it did.

    OPENBLAS_NUM_THREADS would have to be set before NumPy is imported; OpenBLAS's own
    setter works at any time. Without OpenBLAS (macOS's Accelerate), nothing changes.
    """
    import numpy

    folder = os.path.dirname(numpy.__file__)
    paths = glob.glob(folder + ".libs/*openblas*") + glob.glob(f"{folder}/.dylibs/*openblas*")
    try:
        with open("/proc/self/maps") as maps:  # Linux: a system OpenBLAS NumPy links to
            paths += sorted({line.split()[-1] for line in maps if "openblas" in line})
    except OSError:
        pass
    for path in paths:
        try:
            library = ctypes.CDLL(path)  # already loaded by NumPy: the same library
        except OSError:
            continue
        for name in BLAS_SET_THREADS:
            setter = getattr(library, name, None)
            if setter is not None:
                setter(1)
                return True
    return False
