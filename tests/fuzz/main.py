"""One harness under atheris (libFuzzer): ``python tests/fuzz/main.py NAME [libFuzzer flags]``.

Started by run.py, which picks the pykernels to fuzz through PYTHONPATH. pykernels'
own Python code is instrumented for coverage feedback (the Numba kernels are not:
Numba compiles from bytecode and is imported later, outside the instrumented block).
"""
import sys

import atheris

with atheris.instrument_imports(include=["pykernels"], exclude=["pykernels.numba"]):
    import pykernels  # noqa: F401
    from harnesses import HARNESSES
    from source import ByteSource


def main() -> None:
    name = sys.argv.pop(1)
    harness = HARNESSES[name]
    atheris.Setup(sys.argv, lambda data: harness(ByteSource(data)))
    atheris.Fuzz()


if __name__ == "__main__":
    main()
