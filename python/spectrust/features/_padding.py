"""How transformers' ``SequenceFeatureExtractor.pad`` pads a batch (at the end, to the
longest, to ``max_length``, or not at all), for the model front ends that pad as it does."""

from __future__ import annotations

from typing import Optional, Union

from ..errors import ParameterError


def padded(
    lengths: list,
    padding: Union[bool, str],
    pad_to_multiple_of: Optional[int],
    max_length: Optional[int],
    truncation: bool,
) -> tuple:
    """``(target, cut)``: the length every item of ``lengths`` is padded to and the length each
    is first cut to (``None``: not cut), as ``SequenceFeatureExtractor.pad``: ``padding`` True
    or ``"longest"`` (the longest item), ``"max_length"`` (``max_length``), False or
    ``"do_not_pad"`` (the items must then agree); ``truncation`` cuts to ``max_length``; both
    rounded up to a multiple of ``pad_to_multiple_of``. An item longer than ``max_length``
    without ``truncation`` sets the target (transformers' arrays would not stack)."""
    if padding is True or padding == "longest":
        strategy = "longest"
    elif padding is False or padding == "do_not_pad":
        strategy = "do_not_pad"
    elif padding == "max_length":
        strategy = "max_length"
    else:
        raise ParameterError(f"padding must be True, False, 'longest', 'max_length' or 'do_not_pad', got {padding!r}")
    if (strategy == "max_length" or truncation) and max_length is None:
        raise ParameterError(f"padding={padding!r}, truncation={truncation} need max_length")
    if pad_to_multiple_of is not None and pad_to_multiple_of < 1:
        raise ParameterError(f"pad_to_multiple_of must be at least 1, got {pad_to_multiple_of}")

    def rounded(n: int) -> int:
        m = pad_to_multiple_of
        return n if not m or n % m == 0 else (n // m + 1) * m

    cut = rounded(max_length) if truncation else None
    lengths = [n if cut is None else min(n, cut) for n in lengths]
    longest = max(lengths, default=0)
    if strategy == "do_not_pad":
        if len(set(lengths)) > 1:
            raise ParameterError(f"padding={padding!r} with inputs of {sorted(set(lengths))} frames: they do not stack")
        return longest, cut
    return max(rounded(longest if strategy == "longest" else max_length), longest), cut
