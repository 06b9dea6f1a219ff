"""The training engine: the numba kernels that train thousands of tiny networks, their vector layer (simd), the
shuffles, the torch reference loop they must reproduce, devices and threads. Imports lib.framework and lib.nets."""
