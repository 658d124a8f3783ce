"""Writes test/fixtures/python-json-oracle.json: Python's own float repr and json.dumps output, the oracle for
src/python-json*.ts. Run from packages/config: python3 test/oracle/json_oracle.py (any CPython >= 3.8)."""
import json
import random
import struct
import sys
from pathlib import Path

rng = random.Random(20240521)


def bits(x: float) -> str:
    return struct.pack(">d", x).hex()


specials = [0.0, -0.0, 1.0, -1.0, 8.0, 0.1, 0.05, 1e-05, 1e-4, 0.0001234, 1e16, 1e15, 9999999999999998.0,
            1e+16 + 2, 123456789012345678.0, 1e22, 1e-7, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
            0.85, 0.99, 22.627416997969522, 5.65685424949238, 1 / 3, 2 / 3, 100.0, 1e100, 1.5e-10, 0.3,
            float("inf"), float("-inf"), float("nan"), 2.0 ** 53, 2.0 ** 53 + 2, 12345.678, 1e-4 * 3]
floats = list(specials)
for _ in range(1000):
    floats.append(struct.unpack(">d", rng.getrandbits(64).to_bytes(8, "big"))[0])
for _ in range(600):
    floats.append(rng.uniform(-1, 1) * 10 ** rng.randint(-30, 30))
for _ in range(200):
    floats.append(round(rng.uniform(0, 100), rng.randint(0, 6)))

docs = [
    '{"b": 1, "a": [1.0, 2, -0.0, 1e400, -1e400, NaN], "c": {}, "d": [], "e": {"z": null, "y": true, "x": false}}',
    '{"s": "tab\\there \\"q\\" back\\\\slash \\u0001 \\u001f \\u007f \\u0080 caf\\u00e9 \\ud83d\\ude00 \\ud800 \\udfff / \\/"}',
    '{"\\ud83d\\ude00": 1, "\\uffff": 2, "\\ue000": 3, "z": 4, "Z": 5, "\\u00e9": 6, "": 7, "a b": 8}',
    '{"big": 123456789012345678901234567890, "neg": -12345678901234567890, "zero": -0, "f": 1.0E+2, "g": 1E-7}',
    '[1, [2, [3, [4, {}]]], "x"]',
    '{"dup": 1, "dup": 2.0}',
    '"just a string"',
    '3.0',
]

out = {
    "python": sys.version.split()[0],
    "json_floats": [[bits(x), json.dumps(x)] for x in floats],
    "dumps": [[d, json.dumps(json.loads(d), indent=2, sort_keys=True)] for d in docs],
}


def ok(d):
    try:
        json.loads(d)
        return True
    except ValueError:
        return False


out["invalid"] = [d for d in ['{"a": 1,}', "[1 2]", "{'a': 1}", '{"a": 01}', '{"a": 1.}', '{"a": .5}', '"\t"', '{"a"}',
                              '{"a": tru}', "[1] x", '"\\x41"', '"\\u12"', "", "-", "+1", '{"a": -NaN}', "\ufeff{}",
                              '{"a": 1', '[', '"abc', "nul"] if not ok(d)]
Path(__file__).resolve().parent.parent.joinpath("fixtures", "python-json-oracle.json").write_text(
    json.dumps(out, indent=0) + "\n")
