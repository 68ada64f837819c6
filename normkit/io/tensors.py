"""safetensors files: named tensors and string metadata, read and written without running code.

A safetensors file is an 8-byte header length, a JSON header (each tensor's dtype, shape and byte
range, and an optional ``__metadata__`` object of strings), then the raw bytes: loading it can
only ever give arrays. A PyTorch file saved with ``torch.save`` (``.pt``, ``.pth``) is a pickle,
which runs whatever code it names when loaded; it is refused with the line that converts it. The
``safetensors`` package (``pip install 'normkit[torch]'``) parses the files; it needs no torch.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

import numpy as np

from ..errors import InputError, OptionError
from .files import refuse_stdin

__all__ = [
    "PICKLE_SUFFIXES",
    "TensorFile",
    "convert_hint",
    "is_state_dict",
    "open_tensors",
    "tensors_to_bytes",
]

#: Extensions of files that ``torch.save`` and its relatives write (pickles).
PICKLE_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".pkl", ".pickle", ".tar")


def convert_hint(path: str) -> str:
    """How to convert a pickled state dict, once, in a Python session that trusts the file."""
    stem = os.path.splitext(os.path.basename(path))[0] or "state"
    return (
        'convert it where you trust it: python -c "import torch; from safetensors.torch import '
        f"save_file; save_file(torch.load({path!r}, weights_only=True), '{stem}.safetensors')\""
    )


_NEEDS = "pip install 'normkit[torch]'"


def _safetensors():
    try:
        import safetensors
        import safetensors.numpy
    except ImportError:
        raise OptionError(
            f"reading and writing safetensors files needs the safetensors package: {_NEEDS}"
        ) from None
    return safetensors


def _is_pickle(head: bytes) -> bool:
    """A zip archive (``torch.save`` since PyTorch 1.6) or a bare pickle (protocol 2 to 5), by
    its first bytes."""
    return head.startswith(b"PK\x03\x04") or (
        len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5
    )


def _is_npz(path: str, head: bytes) -> bool:
    """A zip archive of ``.npy`` arrays only (``numpy.savez``), not ``torch.save``'s."""
    if not head.startswith(b"PK\x03\x04"):
        return False
    import zipfile  # 6 ms of start-up, for the few files that are zip archives

    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (OSError, zipfile.BadZipFile):
        return False
    return bool(names) and all(n.endswith(".npy") for n in names)


def is_state_dict(path: str, head: bytes) -> bool:
    """Whether a file is a torch state dict, by its first bytes ``head``: a bare pickle's, a
    safetensors header (its length in 8 bytes, then a JSON object), or, under a pickle's name
    (``.pt``; ``.bin`` is any binary file's too), a zip archive's but NumPy's ``.npz``."""
    named = path.lower().endswith(PICKLE_SUFFIXES) and _is_pickle(head)
    bare_pickle = _is_pickle(head) and not head.startswith(b"PK")  # a zip may hold anything
    return (named and not _is_npz(path, head)) or bare_pickle or head[8:10] == b'{"'


class TensorFile:
    """An open safetensors file: its tensors' names, shapes and dtypes, its metadata, and each
    tensor read on demand as a NumPy array. Use :func:`open_tensors`; close it (or use it as a
    context manager) when done."""

    def __init__(self, path: str, handle, header: Mapping[str, dict]):
        self.path = path
        self._handle = handle
        self._header = header

    @property
    def names(self) -> list[str]:
        """The tensors' names, in the file's order."""
        return [name for name in self._header if name != "__metadata__"]

    @property
    def metadata(self) -> dict[str, str]:
        """The ``__metadata__`` strings (empty if none)."""
        return dict(self._header.get("__metadata__") or {})

    def shape(self, name: str) -> tuple[int, ...]:
        return tuple(self._header[name]["shape"])

    def dtype(self, name: str) -> str:
        """safetensors' name of the tensor's type: ``F32``, ``F64``, ``BF16``, ``I64``..."""
        return self._header[name]["dtype"]

    def get(self, name: str) -> np.ndarray:
        """The tensor as a NumPy array (bfloat16, which NumPy lacks, widened to float32)."""
        if self.dtype(name) != "BF16":
            return self._handle.get_tensor(name)
        # bfloat16 is the upper half of a float32: widen its bits, exactly.
        begin, end = self._header[name]["data_offsets"]
        with open(self.path, "rb") as f:
            size = int.from_bytes(f.read(8), "little")
            f.seek(8 + size + begin)
            raw = np.frombuffer(f.read(end - begin), dtype="<u2")
        return (raw.astype(np.uint32) << 16).view(np.float32).reshape(self.shape(name))

    def close(self) -> None:
        self._handle.__exit__(None, None, None)

    def __enter__(self) -> TensorFile:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_tensors(path: str | os.PathLike[str]) -> TensorFile:
    """Open a safetensors file (its bytes are mapped, not read: a large model's file costs only
    the tensors asked for).

    Raises
    ------
    InputError
        If the file is missing, a directory, a PyTorch pickle (``torch.save``), or not a
        safetensors file; the message names it.
    OptionError
        If the safetensors package is not installed.
    """
    path = os.fspath(path)
    refuse_stdin(path, "a state dict")
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a safetensors file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    safetensors = _safetensors()
    try:
        handle = safetensors.safe_open(path, framework="np")
        handle.__enter__()
    except (safetensors.SafetensorError, OSError, ValueError) as exc:
        # Told apart only once safetensors has refused it: a safetensors file's first bytes
        # (its header's length) can look like a pickle's.
        if _is_npz(path, head):
            raise InputError(
                f"{path}: a NumPy .npz archive (as normkit's export to numpy writes), not a "
                "safetensors state dict",
                hints=("give the safetensors file of an export to torch, or of save_file",),
            ) from None
        if _is_pickle(head):
            raise InputError(
                f"{path}: a PyTorch pickle file (torch.save), which can run code when loaded; "
                "normkit reads state dicts from safetensors files only",
                hints=(convert_hint(path),),
            ) from None
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        hints = (convert_hint(path),) if path.lower().endswith(PICKLE_SUFFIXES) else ()
        raise InputError(f"{path}: not a safetensors file ({reason})", hints=hints) from None
    with open(path, "rb") as f:
        size = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(size))  # safe_open has checked it
    return TensorFile(path, handle, header)


def tensors_to_bytes(tensors: Mapping[str, np.ndarray], metadata: Mapping[str, str]) -> bytes:
    """A safetensors file's bytes (``safetensors.numpy.save``: what ``save_file`` writes, kept in
    memory so that the caller writes it atomically), the same for the same tensors and metadata.

    safetensors writes the metadata in the order of a hash map, which changes from one process
    to the next: the header is written again with the metadata's keys in order (the tensors
    keep theirs, the data its bytes)."""
    safetensors = _safetensors()
    arrays = {
        name: np.asarray(value, order="C") for name, value in tensors.items()
    }  # 0-d stays 0-d
    data = safetensors.numpy.save(arrays, metadata=dict(metadata))
    size = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + size])
    if "__metadata__" in header:
        header["__metadata__"] = dict(sorted(header["__metadata__"].items()))
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned, as safetensors pads it
    return len(text).to_bytes(8, "little") + text + data[8 + size :]
