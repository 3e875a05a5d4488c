"""Minimal hand-written safetensors writer and reader (F32 and I64 only).

Layout: 8-byte little-endian u64 header length N, then N bytes of JSON header
(padded with spaces so N is a multiple of 8), then the raw little-endian
tensor data, laid out contiguously in header order.
"""

import json
import struct
from collections import OrderedDict

import numpy as np

_DTYPES = {"F32": np.dtype("<f4"), "I64": np.dtype("<i8")}


def _to_array(value):
    """Accept a torch tensor or numpy array; floats -> F32, ints -> I64."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    arr = np.asarray(value)
    if arr.dtype.kind == "f":
        return "F32", np.ascontiguousarray(arr, dtype=_DTYPES["F32"])
    if arr.dtype.kind in "iu":
        return "I64", np.ascontiguousarray(arr, dtype=_DTYPES["I64"])
    raise TypeError("unsupported dtype %s" % arr.dtype)


def write_safetensors(path, tensors, metadata=None):
    """tensors: ordered mapping name -> tensor/array. Written in that order."""
    header = OrderedDict()
    blobs = []
    offset = 0
    for name, value in tensors.items():
        dtype, arr = _to_array(value)
        data = arr.tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = dict(metadata or {"format": "pt"})
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for data in blobs:
            f.write(data)


def read_safetensors(path):
    """Returns (OrderedDict name -> numpy array, metadata dict).

    Checks that data is contiguous, in header order, and fills the file."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    if n % 8:
        raise ValueError("%s: header length %d not a multiple of 8" % (path, n))
    header = json.loads(raw[8:8 + n].decode("utf-8"), object_pairs_hook=OrderedDict)
    metadata = header.pop("__metadata__", {})
    body = raw[8 + n:]
    out = OrderedDict()
    expect = 0
    for name, info in header.items():
        start, end = info["data_offsets"]
        if start != expect:
            raise ValueError("%s: %s not contiguous" % (path, name))
        dt = _DTYPES[info["dtype"]]
        count = int(np.prod(info["shape"])) if info["shape"] else 1
        if end - start != count * dt.itemsize:
            raise ValueError("%s: %s has wrong byte size" % (path, name))
        out[name] = np.frombuffer(body[start:end], dtype=dt).reshape(info["shape"])
        expect = end
    if expect != len(body):
        raise ValueError("%s: %d trailing bytes" % (path, len(body) - expect))
    return out, metadata
