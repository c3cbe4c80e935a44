"""Build glue: configure and build pykernels._C (and _C_cuda) with CMake, install them into the package.

Sources are listed nowhere here; CMakeLists.txt owns the build. PYKERNELS_CUDA=auto|on|off
(default auto) decides whether the CUDA extension pykernels._C_cuda is built: auto builds
it when nvcc is found, on fails without nvcc, off never builds it.
"""
import os
import shlex
import shutil
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
        cuda = os.environ.get("PYKERNELS_CUDA", "auto").lower()
        if cuda not in ("auto", "on", "off"):
            raise SystemExit(f"PYKERNELS_CUDA must be auto, on or off, got {cuda!r}")
        configure.append(f"-DPYKERNELS_CUDA={cuda}")
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

    def copy_extensions_to_source(self) -> None:
        """--inplace copies only the declared extension (_C): also bring the optional
        _C_cuda and the record of why it was (not) built, dropping a stale _C_cuda."""
        super().copy_extensions_to_source()
        built_dir = Path(self.build_lib) / "pykernels"
        package_dir = Path(self.get_finalized_command("build_py").get_package_dir("pykernels"))
        for stale in package_dir.glob("_C_cuda*.so"):
            stale.unlink()
        for built in [*built_dir.glob("_C_cuda*.so"), built_dir / "_cuda_build.json"]:
            if built.exists():
                shutil.copy2(built, package_dir / built.name)


setup(ext_modules=[CMakeExtension("pykernels._C")], cmdclass={"build_ext": CMakeBuild})
