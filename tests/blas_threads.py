"""Read and set the thread count of the OpenBLAS NumPy uses (for the tests of one_blas_thread)."""


def openblas_thread_functions():
    """NumPy's OpenBLAS (get, set) thread-count functions, or None without OpenBLAS."""
    import ctypes
    import glob
    import os

    import numpy

    for path in glob.glob(os.path.dirname(numpy.__file__) + ".libs/*openblas*"):
        library = ctypes.CDLL(path)
        for prefix in ("scipy_openblas_", "openblas_"):
            for suffix in ("64_", ""):
                get = getattr(library, f"{prefix}get_num_threads{suffix}", None)
                put = getattr(library, f"{prefix}set_num_threads{suffix}", None)
                if get is not None and put is not None:
                    return get, put
    return None
