"""Reference values for Metrics.swift, computed with scikit-learn, pandas and numpy.

Usage: pipeline_metrics.py OUT_DIR
Writes OUT_DIR/auc_<case>.csv (label,score,pct_rank), OUT_DIR/auc.txt (case,value-or-error),
OUT_DIR/acc_<case>.csv (target,p0..pK-1) and OUT_DIR/acc.txt (case,accuracy). Floats use repr, so
they round-trip exactly.
"""
import os
import sys
import warnings

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

out = sys.argv[1]
rng = np.random.default_rng(20200827)


def auc_case(name, labels, scores):
    labels = np.asarray(labels, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64)
    ranks = pd.Series(scores).rank(pct=True).values
    with open(os.path.join(out, f"auc_{name}.csv"), "w") as f:
        f.write("label,score,pct_rank\n")
        for l, s, r in zip(labels, scores, ranks):
            f.write(f"{int(l)},{float(s)!r},{float(r)!r}\n")
    # sklearn raised ValueError for a single class before 1.6 and now warns and returns NaN;
    # either way the score is undefined.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = float(roc_auc_score(labels, scores))
    except ValueError:
        value = float("nan")
    value = "undefined" if np.isnan(value) else repr(value)
    with open(os.path.join(out, "auc.txt"), "a") as f:
        f.write(f"{name},{value}\n")


# The competition's base rate (1.8 % positive) with heavy ties: scores on a grid of 0.01.
n = 20000
labels = rng.random(n) < 0.018
scores = np.round(np.clip(rng.normal(0.3, 0.15, n) + 0.25 * labels, 0, 1), 2)
auc_case("rare_ties", labels, scores)

# Coarser grid: only 11 distinct scores, so most of the curve is tie diagonals.
labels = rng.random(5000) < 0.018
scores = np.round(rng.random(5000) * 0.6 + 0.4 * labels * rng.random(5000), 1)
auc_case("rare_coarse", labels, scores)

# Continuous scores, balanced classes, no ties.
labels = rng.random(3000) < 0.5
auc_case("balanced_continuous", labels, rng.normal(0, 1, 3000) + 0.8 * labels)

# float32 softmax-like probabilities (many exact ties after float32 rounding of tiny values).
labels = rng.random(4000) < 0.05
logits = rng.normal(-6, 3, 4000) + 3 * labels
probs = (1 / (1 + np.exp(-logits))).astype(np.float32).astype(np.float64)
auc_case("float32_probs", labels, probs)

# Degenerate but defined cases.
auc_case("all_tied", [0, 1, 0, 1, 1, 0, 0], [0.5] * 7)
auc_case("perfect", [0, 0, 0, 1, 1], [0.1, 0.2, 0.3, 0.8, 0.9])
auc_case("inverted", [1, 1, 0, 0, 0], [0.1, 0.2, 0.3, 0.8, 0.9])
auc_case("two_rows", [1, 0], [0.3, 0.3])
auc_case("negative_scores", [0, 1, 1, 0, 1, 0], [-3.0, -1.0, -1.0, -2.0, 5.0, -1.0])

# Undefined: sklearn raises ValueError.
auc_case("only_negatives", [0] * 10, rng.random(10))
auc_case("only_positives", [1] * 4, rng.random(4))


def acc_case(name, probs, targets):
    k = probs.shape[1]
    acc = (probs.argmax(1) == targets).mean() * 100.0
    with open(os.path.join(out, f"acc_{name}.csv"), "w") as f:
        f.write("target," + ",".join(f"p{i}" for i in range(k)) + "\n")
        for t, row in zip(targets, probs):
            f.write(f"{int(t)}," + ",".join(repr(float(v)) for v in row) + "\n")
    with open(os.path.join(out, "acc.txt"), "a") as f:
        f.write(f"{name},{float(acc)!r}\n")


# 9 classes, probabilities on a 0.1 grid so argmax ties are frequent (first maximum wins).
p = np.round(rng.random((3000, 9)), 1)
acc_case("nine_ties", p, rng.integers(0, 9, 3000))
p = rng.dirichlet(np.ones(4), 777)
t = np.where(rng.random(777) < 0.6, p.argmax(1), rng.integers(0, 4, 777))
acc_case("four_classes", p, t)

# pandas keeps NaN as NaN and divides by the count of non-NaN values.
v = np.round(rng.random(200), 1)
v[rng.random(200) < 0.1] = np.nan
r = pd.Series(v).rank(pct=True).values
with open(os.path.join(out, "rank_nan.csv"), "w") as f:
    f.write("value,pct_rank\n")
    for a, b in zip(v, r):
        f.write(f"{float(a)!r},{float(b)!r}\n")
