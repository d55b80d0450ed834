#!/usr/bin/python3
"""Turns Lathe model artifacts into fuzz_model inputs: the sections as
"NAME\\0", u32 little-endian length, payload, in file order (see fuzz_model.c).
Usage: sections.py MODEL.lathe OUT"""
import struct
import sys

data = open(sys.argv[1], "rb").read()
assert data[:8] == b"LATHEMDL", "not a Lathe model"
count = struct.unpack_from("<I", data, 16)[0]
out = bytearray()
for i in range(count):
    name, offset, length, _crc, _reserved = struct.unpack_from("<16sQQII", data, 20 + 40 * i)
    out += name.rstrip(b"\0") + b"\0" + struct.pack("<I", length) + data[offset:offset + length]
open(sys.argv[2], "wb").write(out)
