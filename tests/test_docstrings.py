"""Every public function and method documents its Parameters, Returns (or Yields) and
Raises, and every public class its Parameters, in numpydoc sections (issue 13)."""

import inspect
import re

import pytest
import spectrust
import spectrust.server

SECTION = re.compile(r"^(Parameters|Returns|Yields|Raises)\n-{3,}$", re.M)


def public_api():
    """(name, object, is_class) of everything `spectrust` and `spectrust.server` export, and
    the public methods of their classes (exceptions excepted: they only carry a message)."""
    found = []
    for module in (spectrust, spectrust.server):
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj) and issubclass(obj, BaseException):
                continue
            if inspect.isclass(obj):
                found.append((name, obj, True))
                for attr, value in vars(obj).items():
                    if not attr.startswith("_") and inspect.isroutine(value):
                        found.append((f"{name}.{attr}", getattr(obj, attr), False))
            elif callable(obj):
                found.append((name, obj, False))
    return found


def takes_parameters(obj) -> bool:
    try:
        return any(p not in ("self", "cls") for p in inspect.signature(obj).parameters)
    except (TypeError, ValueError):  # a builtin without a signature
        return True


@pytest.mark.parametrize("name, obj, is_class", public_api(), ids=[n for n, _, _ in public_api()])
def test_public_docstrings_have_their_sections(name, obj, is_class):
    sections = set(SECTION.findall(inspect.getdoc(obj) or ""))
    needed = {"Parameters"} if takes_parameters(obj) else set()
    if not is_class:
        needed |= {"Yields" if inspect.isgeneratorfunction(obj) else "Returns", "Raises"}
    assert needed <= sections, f"{name} lacks {sorted(needed - sections)}"


def test_the_api_is_all_there():
    names = {n for n, _, _ in public_api()}
    assert {"load", "melspectrogram", "Spectrogram.generate", "Batchop.generate_output_path", "create_app"} <= names
