"""The bootstrap interval's method, recomputed with scikit-learn and numpy from the same resamples.

Usage: report_bootstrap.py DIR
Reads DIR/data.csv (label,score) and DIR/indices.txt (one resample per line, space-separated row
indices, as Bootstrap.replicateIndices drew them), computes roc_auc_score on every resample that
holds both classes and prints JSON {"lower", "upper", "used", "skipped", "aucs"} with the 2.5 and
97.5 numpy percentiles (default linear method).
"""
import json
import os
import sys

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

d = sys.argv[1]
data = pd.read_csv(os.path.join(d, "data.csv"))
y, s = data.label.values.astype(bool), data.score.values.astype(np.float64)
aucs, skipped = [], 0
with open(os.path.join(d, "indices.txt")) as f:
    for line in f:
        idx = np.array(line.split(), dtype=np.int64)
        if y[idx].all() or not y[idx].any():
            skipped += 1
            continue
        aucs.append(float(roc_auc_score(y[idx], s[idx])))
lo, hi = np.percentile(aucs, [2.5, 97.5])
print(json.dumps({"lower": float(lo), "upper": float(hi), "used": len(aucs), "skipped": skipped, "aucs": aucs}))
