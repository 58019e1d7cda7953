"""Read safetensors tensors one at a time with plain reads, so loading never holds two copies of the weights.

Why not `safetensors.safe_open`: it memory-maps the whole file and the pages it touches stay resident (and count in RSS)
for as long as the handle is open, on top of the converted copies we keep; loading the fp32 LLM that way peaked at 9.2
GB for a 5.2 GB model. Here each tensor is read into its own buffer, converted, and the buffer freed, so the peak is the
runtime model plus one tensor. A tensor used as stored (the bf16 embedding table, every bf16 LLM tensor that is not
split) can instead be mapped on its own (`map`): pages are read when touched and belong to the page cache. The format is
a little-endian u64 header length, a JSON header (name -> dtype, shape, data_offsets) and the raw data; every entry is
checked against the file before it is read.
"""

from __future__ import annotations

import json
import math
import mmap
import struct
from pathlib import Path
from typing import TYPE_CHECKING

from segearth_engine.errors import ModelFilesError

if TYPE_CHECKING:
    import torch

_MAX_HEADER = 100 * 1024 * 1024
_ITEMSIZE = {"BF16": 2, "F16": 2, "F32": 4, "F64": 8, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}


def _torch_dtype(code: str):
    import torch

    return {"BF16": torch.bfloat16, "F16": torch.float16, "F32": torch.float32, "F64": torch.float64,
            "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
            "BOOL": torch.bool}[code]


class SafetensorsFile:
    """Header of one safetensors file, and tensors read from it on demand (no memory map)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            size = self.path.stat().st_size
            with open(self.path, "rb") as handle:
                raw = handle.read(8)
                if len(raw) != 8:
                    raise ValueError("shorter than its 8-byte header length")
                (length,) = struct.unpack("<Q", raw)
                if length > min(_MAX_HEADER, size - 8):
                    raise ValueError(f"header length {length} is impossible for a {size}-byte file")
                header = json.loads(handle.read(length))
        except (OSError, ValueError) as exc:
            raise ModelFilesError(f"{self.path}: not a readable safetensors file ({exc})") from None
        header.pop("__metadata__", None)
        self._data_start = 8 + length
        self.entries: dict[str, tuple[str, tuple[int, ...], int, int]] = {}
        for name, entry in header.items():
            try:
                code, shape = entry["dtype"], tuple(int(d) for d in entry["shape"])
                begin, end = (int(x) for x in entry["data_offsets"])
            except (KeyError, TypeError, ValueError):
                raise ModelFilesError(f"{self.path}: malformed header entry for {name!r}") from None
            if code not in _ITEMSIZE:
                raise ModelFilesError(f"{self.path}: tensor {name!r} has unsupported dtype {code}")
            if end - begin != math.prod(shape) * _ITEMSIZE[code] or begin < 0 or self._data_start + end > size:
                raise ModelFilesError(f"{self.path}: tensor {name!r} has inconsistent offsets (file truncated?)")
            self.entries[name] = (code, shape, begin, end)

    def keys(self) -> list[str]:
        """Tensor names in file order (by offset), so reads go forward through the file."""
        return sorted(self.entries, key=lambda n: self.entries[n][2])

    def read(self, name: str) -> torch.Tensor:
        """One tensor in its stored dtype, in a buffer of its own."""
        import torch

        code, shape, begin, end = self.entries[name]
        tensor = torch.empty(shape, dtype=_torch_dtype(code))
        if end == begin:
            return tensor
        view = memoryview(tensor.view(-1).view(torch.uint8).numpy()).cast("B")
        with open(self.path, "rb") as handle:
            handle.seek(self._data_start + begin)
            filled = 0
            while filled < len(view):
                got = handle.readinto(view[filled:])
                if not got:
                    raise ModelFilesError(f"{self.path}: ended while reading {name!r} (file truncated?)")
                filled += got
        return tensor

    def map(self, name: str) -> torch.Tensor:
        """One tensor in its stored dtype, backed by a private mapping of the file: pages are read when touched.

        Copy-on-write, so a write never reaches the file; the mapping lives as long as the tensor. The file must be
        replaced, not truncated in place, while mapped (downloads and our writers rename new files into place).
        """
        import torch

        code, shape, begin, end = self.entries[name]
        if end == begin:
            return torch.empty(shape, dtype=_torch_dtype(code))
        with open(self.path, "rb") as handle:
            mapping = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_COPY)
        count = math.prod(shape)
        return torch.frombuffer(mapping, dtype=_torch_dtype(code), count=count,
                                offset=self._data_start + begin).view(shape)
