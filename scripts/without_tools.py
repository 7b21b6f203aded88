"""Runs a command with a PATH on which some tools cannot be found, as on a machine without them.

    python3 scripts/without_tools.py cmake nasm yasm -- make test

CI uses it to run the tests as a newcomer whose machine has no cmake and no NASM would (the
README's rule: the build and the tests then leave libjpeg-turbo, and in `cargo test` libopus,
out). The PATH given to the command is one folder of links to every program on the current
PATH but the named ones (the first of each name, as the shell finds it), so that
``shutil.which``, ``command -v`` and cargo's build scripts all miss them. pip still installs
cmake from PyPI inside its isolated build environment, as it does on such a machine. The exit
status is the command's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile


def path_without(hidden: set, folder: str) -> str:
    """Fills ``folder`` with links to the programs on PATH but ``hidden``; returns it."""
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        try:
            names = os.listdir(directory or ".")
        except OSError:
            continue
        for name in names:
            target = os.path.join(directory, name)
            link = os.path.join(folder, name)
            if name in hidden or os.path.lexists(link) or not os.access(target, os.X_OK) or os.path.isdir(target):
                continue
            os.symlink(os.path.abspath(target), link)
    return folder


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
