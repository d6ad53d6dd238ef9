"""Runs what a numpy/scikit-learn user would pick instead of OrleansUws on the same planted LoRA fleet.

Reads raw float32 files written by the C# benchmark: lora_B (T×m×r), lora_A (T×r×n) and our basis (k×n).
Forms the equivalent rows R_t·A_t with R_tᵀR_t = s²·B_tᵀB_t (the same factor trick; ΔW itself would be T·m·n
floats), then times exact eigh of the float64 Gram, sklearn randomized_svd and IncrementalPCA, and prints one
JSON object per method with its time and sin θ_max to the exact basis.
"""
import json
import sys
import time

import numpy as np
from sklearn.decomposition import IncrementalPCA
from sklearn.utils.extmath import randomized_svd


def sin_theta_max(u, v):
    """u, v: k×n with orthonormal rows."""
    residual = u - (u @ v.T) @ v
    return float(np.sqrt(max(np.linalg.eigvalsh(residual @ residual.T).max(), 0.0)))


def main():
    folder, models, m, n, r, k, alpha = sys.argv[1], *map(int, sys.argv[2:7]), float(sys.argv[7])
    b = np.fromfile(f"{folder}/lora_B.f32", dtype=np.float32).reshape(models, m, r)
    a = np.fromfile(f"{folder}/lora_A.f32", dtype=np.float32).reshape(models, r, n)
    ours = np.fromfile(f"{folder}/basis.f32", dtype=np.float32).reshape(k, n).astype(np.float64)
    scale = alpha / r

    start = time.perf_counter()
    rows = np.empty((models * r, n), dtype=np.float32)
    for t in range(models):
        gram = (scale * scale) * (b[t].astype(np.float64).T @ b[t].astype(np.float64))
        factor = np.linalg.cholesky(gram).T          # RᵀR = gram
        rows[t * r:(t + 1) * r] = (factor @ a[t].astype(np.float64)).astype(np.float32)
    form = time.perf_counter() - start
    print(json.dumps({"method": "numpy: form factor rows R·A", "seconds": form, "sin": None}), flush=True)

    start = time.perf_counter()
    x = rows.astype(np.float64)
    values, vectors = np.linalg.eigh(x.T @ x)
    exact = vectors[:, ::-1][:, :k].T.copy()
    exact_time = time.perf_counter() - start
    print(json.dumps({"method": "numpy exact float64 Gram + eigh", "seconds": exact_time, "sin": 0.0}), flush=True)
    print(json.dumps({"method": "OrleansUws FD basis vs numpy exact", "seconds": None, "sin": sin_theta_max(ours, exact)}), flush=True)

    start = time.perf_counter()
    _, _, vt = randomized_svd(rows, k, n_oversamples=10, n_iter=4, random_state=0)
    print(json.dumps({"method": "sklearn randomized_svd (p=10, q=4)", "seconds": time.perf_counter() - start,
                      "sin": sin_theta_max(vt.astype(np.float64), exact)}), flush=True)

    start = time.perf_counter()
    ipca = IncrementalPCA(n_components=k, batch_size=max(k * 8, 512))
    ipca.fit(rows)
    print(json.dumps({"method": "sklearn IncrementalPCA (centred)", "seconds": time.perf_counter() - start,
                      "sin": sin_theta_max(ipca.components_.astype(np.float64), exact)}), flush=True)


if __name__ == "__main__":
    main()
