"""spectrust's PEP 517 build backend: maturin's, with the C libraries chosen for this machine.

The extension is built with the cargo feature ``opus`` (libopus, built from source by cmake,
which pip then installs from PyPI) and, where libjpeg-turbo can have its SIMD code, with
``libjpeg-turbo``: its SIMD code is NASM assembly on x86 (C intrinsics elsewhere), so where
NASM (or Yasm) is installed, or on other architectures; the build requires the SIMD code.
Elsewhere the pure Rust jpeg-encoder (about 3x slower) encodes JPEG images;
``spectrust.build_info()`` tells which a build has. Choosing before cargo runs means a
checkout first built without NASM gets libjpeg-turbo with its SIMD code once NASM is
installed: no non-SIMD build of it was ever made, so none is cached.

Run as a script, it prints the arguments for ``cargo test`` (the features whose C libraries
can be built here: cmake for both, and NASM for libjpeg-turbo), for the Makefile.
"""

from __future__ import annotations

import os
import platform
import shutil
import sys

JPEG = "libjpeg-turbo"
OPUS = "opus"


def simd_assembler_found() -> bool:
    """Whether libjpeg-turbo can get its SIMD code here: NASM or Yasm on x86 (found as its
    cmake build looks for them: ``ASM_NASM``, then the PATH), nothing elsewhere."""
    if platform.machine().lower() not in ("x86_64", "amd64", "i386", "i686", "x86"):
        return True
    return any(shutil.which(tool) for tool in (os.environ.get("ASM_NASM", "nasm"), "yasm"))


def features() -> list:
    """The optional cargo features a pip build turns on here."""
    if simd_assembler_found():
        return [OPUS, JPEG]
    sys.stderr.write(
        "spectrust: NASM not found, so JPEG images will be encoded by jpeg-encoder (about 3x slower than "
        "libjpeg-turbo); apt-get install nasm and rebuild for the fast encoder\n"
    )
    return [OPUS]


def _config(config_settings):
    """``config_settings`` with the optional features added to maturin's arguments, unless the
    caller chose features itself."""
    import maturin

    args = maturin.get_maturin_pep517_args(config_settings)
    if any(a == "--features" or a.startswith("--features=") or a == "-F" for a in args):
        return config_settings
    chosen = [*maturin.get_config().get("features", []), *features()]
    return {**(config_settings or {}), "maturin.build-args": [*args, "--features", ",".join(chosen)]}


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    import maturin

    return maturin.build_wheel(wheel_directory, _config(config_settings), metadata_directory)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    import maturin

    return maturin.build_editable(wheel_directory, _config(config_settings), metadata_directory)


def get_requires_for_build_wheel(config_settings=None):
    import maturin

    # cmake builds libopus (and libjpeg-turbo).
    return [*maturin.get_requires_for_build_wheel(config_settings), "cmake>=3.16"]


get_requires_for_build_editable = get_requires_for_build_wheel


def __getattr__(name):
    """Every other hook is maturin's (imported only then: running as a script, or importing
    this module for its functions, needs no maturin)."""
    if name.startswith("__"):
        raise AttributeError(name)
    import maturin

    return getattr(maturin, name)


if __name__ == "__main__":
    if shutil.which("cmake"):
        print("--features", ",".join([OPUS, JPEG] if simd_assembler_found() else [OPUS]))
