"""Recomputes `ensemble --optimize`'s scores with pandas and scikit-learn from the weights it chose.

Usage: report_ensemble_cv.py DIR
Reads DIR/*_oof.csv (sorted by name, joined on image_name in the first file's order) and
DIR/weights.json ({"full": [w...], "folds": {fold: [w...]}}). Prints JSON with
equal: each fold's rows ranked per model (rank(pct=True)) within the fold, averaged with equal
weights, pooled over folds, roc_auc_score; cv: the same with each fold's weights; in_sample: ranks
over all rows averaged with the full weights.
"""
import glob
import json
import os
import sys

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

d = sys.argv[1]
paths = sorted(glob.glob(os.path.join(d, "*_oof.csv")))
dfs = [pd.read_csv(p) for p in paths]
base = dfs[0]
preds = np.stack([df.set_index("image_name").loc[base.image_name].pred.values for df in dfs])
w = json.load(open(os.path.join(d, "weights.json")))
y = base.target.values


def blend(rows, wts):
    wts = np.asarray(wts, dtype=np.float64)
    wts = wts / wts.sum()
    ranks = [pd.Series(p[rows]).rank(pct=True).values for p in preds]
    return np.sum([wts[i] * ranks[i] for i in range(len(wts))], axis=0)


eq, cv = np.zeros(len(y)), np.zeros(len(y))
for f in sorted(set(base.fold)):
    rows = np.where(base.fold.values == f)[0]
    eq[rows] = blend(rows, [1.0] * len(paths))
    cv[rows] = blend(rows, w["folds"][str(f)])
full = blend(np.arange(len(y)), w["full"])
print(json.dumps({"equal": roc_auc_score(y, eq), "cv": roc_auc_score(y, cv), "in_sample": roc_auc_score(y, full)}))
