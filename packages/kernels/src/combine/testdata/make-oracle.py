"""Writes oracle.json: what torch 2.x / PEFT 0.21 compute for the combine kernels' unit tests.

Run with the repo's Python environment (torch, peft, numpy):
    python packages/kernels/src/combine/testdata/make-oracle.py && pnpm biome format --write packages/kernels/src/combine/testdata
Arrays are stored as base64 of little-endian float32 / int32 / float64 bytes, so values stay exact.
"""

import base64
import json
import pathlib

import numpy as np
import peft
import torch
from peft.utils import merge_utils

rng = np.random.default_rng(20240821)


def f32(a):
    return base64.b64encode(np.asarray(a, dtype="<f4").tobytes()).decode()


def f64(a):
    return base64.b64encode(np.asarray(a, dtype="<f8").tobytes()).decode()


def i32(a):
    return base64.b64encode(np.asarray(a, dtype="<i4").tobytes()).decode()


def tie_heavy(n):
    kind = int(rng.integers(0, 3))
    if kind == 0:
        return rng.integers(0, 4, n).astype(np.float32)
    if kind == 1:
        return np.ones(n, np.float32)
    return np.abs(rng.standard_normal(n).astype(np.float16).astype(np.float32))


topk = []
for _ in range(80):
    n = int(rng.integers(1, 130))
    k = int(rng.integers(0, n + 1)) if rng.random() < 0.7 else int(rng.integers(0, max(1, n // 64) + 1))
    x = tie_heavy(n)
    idx = torch.topk(torch.from_numpy(x), k).indices.numpy()
    topk.append({"x": f32(x), "k": k, "indices": i32(np.sort(idx))})


def signed_ties(n):
    return rng.choice(np.array([-2, -1, 0, 1, 2], np.float32), n)


prune_cases = []
for _ in range(30):
    n = int(rng.integers(1, 120))
    x = signed_ties(n) if rng.random() < 0.5 else rng.standard_normal(n).astype(np.float32)
    density = float(rng.choice([0.0, 0.1, 0.25, 0.3, 0.5, 0.7, 0.9, 0.99, 1.0]))
    out = merge_utils.prune(torch.from_numpy(x), density, "magnitude").numpy()
    prune_cases.append({"x": f32(x), "density": density, "expected": f32(out)})

mask_cases = []
for _ in range(12):
    n = int(rng.integers(1, 60))
    count = int(rng.integers(1, 4))
    stack = np.stack([signed_ties(n) for _ in range(count)])
    for method in ("total", "frequency"):
        mask = merge_utils.calculate_majority_sign_mask(torch.from_numpy(stack), method).numpy()
        mask_cases.append({"tensors": [f32(t) for t in stack], "method": method, "expected": i32(mask.astype(np.int32))})

merge_cases = []
for _ in range(20):
    n = int(rng.integers(1, 80))
    count = int(rng.integers(1, 4))
    tensors = [
        (signed_ties(n) if rng.random() < 0.3 else rng.standard_normal(n).astype(np.float32)) for _ in range(count)
    ]
    weights = [float(w) for w in rng.uniform(-1.5, 1.5, count)]
    density = float(rng.choice([0.2, 0.5, 0.7, 1.0]))
    method = str(rng.choice(["total", "frequency"]))
    tt = [torch.from_numpy(t) for t in tensors]
    wt = torch.tensor(weights)
    merge_cases.append(
        {
            "tensors": [f32(t) for t in tensors],
            "weights": weights,
            "density": density,
            "method": method,
            "task_arithmetic": f32(merge_utils.task_arithmetic(tt, wt).numpy()),
            "magnitude_prune": f32(merge_utils.magnitude_prune(tt, wt, density).numpy()),
            "ties": f32(merge_utils.ties(tt, wt, density, method).numpy()),
            "dare_linear_d1": f32(merge_utils.dare_linear(tt, wt, 1.0).numpy()),
            "dare_ties_d1": f32(merge_utils.dare_ties(tt, wt, 1.0, method).numpy()),
        }
    )

quantile_cases = []
for _ in range(30):
    n = int(rng.integers(1, 150))
    x = rng.standard_normal(n).astype(np.float32)
    q = float(rng.choice([0.0, 0.1, 0.5, 0.9, 0.95, 0.99, 1.0, float(rng.random())]))
    quantile_cases.append({"x": f32(x), "q": q, "expected": float(torch.quantile(torch.from_numpy(x), q))})

svd_cases = []
for m, n in [(5, 3), (3, 5), (8, 8), (12, 7), (40, 17), (17, 40)]:
    a = rng.standard_normal((m, n))
    u, s, vh = torch.linalg.svd(torch.from_numpy(a), full_matrices=False)
    case = {"m": m, "n": n, "a": f64(a), "s": f64(s.numpy())}
    if m * n <= 100:
        case.update(u=f64(u.numpy()), vh=f64(vh.numpy()))
    svd_cases.append(case)

out = {
    "versions": {"torch": torch.__version__, "peft": peft.__version__},
    "topk": topk,
    "prune": prune_cases,
    "majority_sign_mask": mask_cases,
    "merge": merge_cases,
    "quantile": quantile_cases,
    "svd": svd_cases,
}
path = pathlib.Path(__file__).with_name("oracle.json")
path.write_text(json.dumps(out, indent=2) + "\n")
print("wrote", path, path.stat().st_size, "bytes")
