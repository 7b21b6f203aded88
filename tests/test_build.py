"""What the build says of itself: ``spectrust.build_info()`` and ``spectrust --version``, and
that the image API and the command line start without numpy."""

import json
import os
import shutil
import subprocess
import sys

import spectrust

SCRIPTS = os.path.join(os.path.dirname(__file__), "..", "scripts")


def info_in_subprocess(**env) -> dict:
    code = "import json, spectrust; print(json.dumps(spectrust.build_info()))"
    p = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, **env}, check=True
    )
    return json.loads(p.stdout)


def test_build_info_names_the_encoder_and_the_cpu_features():
    info = spectrust.build_info()
    assert set(info) == {"version", "jpeg_encoder", "jpeg_simd", "cpu_features", "opus_decoder", "optimized"}
    assert info["version"] == spectrust.__version__
    name, version = info["jpeg_encoder"].split(" ")
    assert name in ("libjpeg-turbo", "jpeg-encoder") and version[0].isdigit()
    assert isinstance(info["jpeg_simd"], bool)
    assert set(info["cpu_features"]) <= {"sse4.1", "avx", "fma", "avx2", "neon"}
    assert info["optimized"] is True  # the tests run on the release build users get
    # pip builds always have libopus (Opus in Ogg and WebM, what browsers record).
    assert info["opus_decoder"].startswith("libopus") and "unknown" not in info["opus_decoder"]


def test_libjpeg_turbo_simd_is_in_a_build_made_where_nasm_is():
    # The build backend enables libjpeg-turbo exactly where it finds NASM (x86) ...
    sys.path.insert(0, SCRIPTS)
    try:
        from build_backend import simd_assembler_found
    finally:
        sys.path.remove(SCRIPTS)
    info = spectrust.build_info()
    if simd_assembler_found():
        assert info["jpeg_encoder"].startswith("libjpeg-turbo ")
    # ... and libjpeg-turbo always has its SIMD code, which runs unless switched off.
    if info["jpeg_encoder"].startswith("libjpeg-turbo "):
        assert info["jpeg_simd"] is True
        assert info_in_subprocess(JSIMD_FORCENONE="1")["jpeg_simd"] is False


def test_version_prints_the_build():
    exe = shutil.which("spectrust", path=os.path.dirname(sys.executable)) or "spectrust"
    p = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    info = spectrust.build_info()
    lines = p.stdout.splitlines()
    assert lines[0] == f"spectrust {info['version']}"
    assert f"jpeg_encoder: {info['jpeg_encoder']}" in lines and f"jpeg_simd: {info['jpeg_simd']}" in lines
    assert any(line.startswith("cpu_features:") for line in lines)


def test_the_image_api_and_the_command_line_do_not_import_numpy():
    code = "import sys, spectrust, spectrust.cli; spectrust.Spectrogram(64, 32); print('numpy' in sys.modules)"
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert p.stdout.strip() == "False"
