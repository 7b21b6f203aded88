"""Runs a command with a PATH on which some tools cannot be found, as on a machine without them.

    python3 scripts/without_tools.py cmake nasm yasm -- make test

CI uses it to run the tests as a newcomer whose machine has no cmake and no NASM would (the
README's rule: the build and the tests then leave libjpeg-turbo, and in `cargo test` libopus,
out). On the PATH given to the command, each folder that holds one of the named programs is
replaced by a folder of links to its other programs, so that ``shutil.which``, ``command -v``
and cargo's build scripts all miss them (and a virtual environment's ``bin``, which holds
none of them, stays as it is). pip still installs cmake from PyPI inside its isolated build
environment, as it does on such a machine. The exit status is the command's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile


def path_without(hidden: set, folder: str) -> str:
    """The PATH with ``hidden`` left out: each of its folders that holds one of them is replaced
    by a folder (made under ``folder``) of links to its other programs; the others stay as they
    are (a virtual environment's ``bin`` keeps working: its ``python`` finds its pyvenv.cfg)."""
    path = []
    for i, directory in enumerate(os.environ.get("PATH", "").split(os.pathsep)):
        try:
            names = os.listdir(directory or ".")
        except OSError:
            continue
        if not hidden.intersection(names):
            path.append(directory)
            continue
        farm = os.path.join(folder, str(i))
        os.mkdir(farm)
        for name in names:
            target = os.path.join(directory, name)
            if name not in hidden and os.access(target, os.X_OK) and not os.path.isdir(target):
                os.symlink(os.path.abspath(target), os.path.join(farm, name))
        path.append(farm)
    return os.pathsep.join(path)


def main(argv: list) -> int:
    if "--" not in argv or argv.index("--") == len(argv) - 1:
        sys.stderr.write("usage: without_tools.py TOOL... -- COMMAND [ARG...]\n")
        return 2
    split = argv.index("--")
    hidden, command = set(argv[:split]), argv[split + 1 :]
    with tempfile.TemporaryDirectory(prefix="spectrust-path-") as folder:
        env = {**os.environ, "PATH": path_without(hidden, folder)}
        for tool in sorted(hidden):
            found = subprocess.run(["sh", "-c", f"command -v {tool}"], env=env, capture_output=True, text=True)
            if found.returncode == 0:
                sys.stderr.write(f"without_tools.py: {tool} is still found at {found.stdout.strip()}\n")
                return 2
        return subprocess.run(command, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
