"""Names to the integer codes of the C ABI (csrc/include/pykernels.h)."""
ACTIVATION = {"none": 0, "relu": 1, "sigmoid": 2, "tanh": 3, "gelu": 4}
BIAS_MODE = {None: 0, 0: 1, 1: 2}  # bias_axis: None, per row (axis 0), per column (axis 1)
PER = {"tensor": 0, "row": 1, "col": 2}  # where quantization parameters vary (PK_PER_*)
