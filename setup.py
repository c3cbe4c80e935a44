"""Build glue: configure and build pykernels._C with CMake, install it into the package.

Sources are listed nowhere here; CMakeLists.txt owns the build.
"""
import os
import shlex
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class CMakeExtension(Extension):
    def __init__(self, name: str):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext: CMakeExtension) -> None:
        import pybind11

        out_dir = Path(self.get_ext_fullpath(ext.name)).parent.resolve()
        build_dir = Path(self.build_temp).resolve() / ext.name
        build_dir.mkdir(parents=True, exist_ok=True)
        config = os.environ.get("PYKERNELS_BUILD_TYPE", "Release")
        configure = [
            "cmake", str(Path(__file__).parent.resolve()),
            f"-DCMAKE_BUILD_TYPE={config}",
            f"-DPYKERNELS_OUTPUT_DIR={out_dir}",
            f"-DPython_EXECUTABLE={sys.executable}",
            f"-Dpybind11_DIR={pybind11.get_cmake_dir()}",
        ]
        # Shell-quoted, so one -D can carry several flags: -DPYKERNELS_EXTRA_FLAGS="-g -O1".
        configure += shlex.split(os.environ.get("PYKERNELS_CMAKE_ARGS", ""))
        try:
            import ninja  # noqa: F401
            configure += ["-G", "Ninja"]
        except ImportError:
            pass
        subprocess.run(configure, cwd=build_dir, check=True)
        jobs = str(os.cpu_count() or 2)
        subprocess.run(["cmake", "--build", ".", "--config", config, "-j", jobs], cwd=build_dir, check=True)


setup(ext_modules=[CMakeExtension("pykernels._C")], cmdclass={"build_ext": CMakeBuild})
