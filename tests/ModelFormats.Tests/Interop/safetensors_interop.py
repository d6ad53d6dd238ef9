"""Interop check for OrleansUws safetensors files, parsing the format by hand with numpy only.

usage: safetensors_interop.py check <file>   -- verify a file the C# writer produced
       safetensors_interop.py write <file>   -- write a file for the C# reader to verify
Values follow value(i) = ((i * 37) % 101 - 50) / 8, exact in F32, F16 and BF16.
"""
import json
import struct
import sys

import numpy as np

EXPECTED = {
    "layers.0.q.weight": ("BF16", [5, 7]),
    "layers.0.k.weight": ("F16", [3, 4]),
    "bias": ("F32", [6]),
    "scale": ("F64", [2, 2]),
}


def values(count):
    i = np.arange(count, dtype=np.int64)
    return (((i * 37) % 101) - 50).astype(np.float64) / 8.0


def decode(dtype, raw):
    if dtype == "BF16":
        return (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
    if dtype == "F16":
        return np.frombuffer(raw, dtype="<f2").astype(np.float32)
    if dtype == "F32":
        return np.frombuffer(raw, dtype="<f4")
    if dtype == "F64":
        return np.frombuffer(raw, dtype="<f8")
    raise ValueError("unknown dtype " + dtype)


def check(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    assert (8 + n) % 8 == 0, "header not padded to 8 bytes"
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    data = blob[8 + n:]
    meta = header.pop("__metadata__")
    assert meta == {"producer": "OrleansUws", "purpose": "interop"}, meta
    assert set(header) == set(EXPECTED), sorted(header)
    covered = 0
    for name, (dtype, shape) in EXPECTED.items():
        entry = header[name]
        assert entry["dtype"] == dtype and entry["shape"] == shape, (name, entry)
        begin, end = entry["data_offsets"]
        count = int(np.prod(shape))
        got = decode(dtype, data[begin:end])
        assert got.size == count, (name, got.size)
        assert np.array_equal(got.astype(np.float64), values(count)), name
        covered += end - begin
    assert covered == len(data), (covered, len(data))
    print("ok", len(EXPECTED), "tensors")


def write(path):
    tensors = []
    for name, (dtype, shape) in EXPECTED.items():
        v = values(int(np.prod(shape)))
        if dtype == "BF16":
            raw = (v.astype(np.float32).view(np.uint32) >> 16).astype("<u2").tobytes()
        else:
            raw = v.astype({"F16": "<f2", "F32": "<f4", "F64": "<f8"}[dtype]).tobytes()
        tensors.append((name, dtype, shape, raw))
    header, offset = {"__metadata__": {"producer": "numpy", "purpose": "interop"}}, 0
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    text = json.dumps(header).encode("utf-8")
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for _, _, _, raw in tensors:
            f.write(raw)
    print("wrote", path)


if __name__ == "__main__":
    {"check": check, "write": write}[sys.argv[1]](sys.argv[2])
