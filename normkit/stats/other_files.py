"""Files given as a stat file that are something else, told by their first bytes or name:
what they are and what to do with them."""

from __future__ import annotations

from ..io.formats import COMPRESSION_SUFFIXES, compression_of
from ..io.tensors import is_state_dict

__all__ = ["other_file_hints"]


def other_file_hints(path: str) -> tuple[str, ...]:
    """The way out for ``path``, given as a stat file but not JSON text, where it is a
    compressed file or a torch state dict; none otherwise (or if it cannot be read)."""
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError:
        return ()
    suffix = compression_of(head)
    if suffix is not None:
        return (
            f"it is {COMPRESSION_SUFFIXES[suffix]}-compressed: decompress it (a stat file is "
            "read as plain JSON text)",
        )
    if is_state_dict(path, head):
        return (
            "it is a torch state dict (safetensors, or torch.save's .pt): 'normkit import-torch' "
            "(normkit.import_torch in Python) makes a stat file of a BatchNorm layer in it",
        )
    return ()
