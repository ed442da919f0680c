"""Reference values for the report's numbers (Sources/MelanomaKit/Report), from scikit-learn and numpy.

Usage: report_metrics.py OUT_DIR
Writes OUT_DIR/oof_a.csv and OUT_DIR/oof_b.csv (OOF files in evaluate's format with every class
probability: image_name,fold,is_ext,target,pred,class,prob_<name>...; scores rounded to 3 decimals so
there are ties and values exactly on bin edges; oof_b in another row order), OUT_DIR/oof_old.csv (the
five-column format written before class probabilities) and OUT_DIR/expected.json with, for oof_a:
roc_curve(drop_intermediate=False), precision_recall_curve, average_precision_score, roc_auc_score,
sensitivity at 80/90/95 % specificity, calibration_curve(n_bins=10) plus ECE over the same bins,
brier_score_loss, numpy histograms (20 bins over [0, 1]) per class, AUC per fold, confusion_matrix
of argmax predictions; and the Spearman correlation (scipy) of oof_a and oof_b. +inf is written as null.
"""
import json
import os
import sys

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.calibration import calibration_curve
from sklearn.metrics import (average_precision_score, brier_score_loss, confusion_matrix,
                             precision_recall_curve, roc_auc_score, roc_curve)

out = sys.argv[1]
rng = np.random.default_rng(12)
classes = ["AK", "BCC", "BKL", "DF", "SCC", "VASC", "melanoma", "nevus", "unknown"]
mel = 6
n = 3000
names = [f"ISIC_{i:07d}" for i in rng.choice(10_000_000, n, replace=False)]
truth = rng.choice(9, n, p=[0.02, 0.05, 0.06, 0.01, 0.02, 0.01, 0.12, 0.4, 0.31])
folds = rng.integers(0, 5, n)
is_ext = (rng.random(n) < 0.3).astype(int)


def model(strength):
    logits = rng.normal(0, 1.5, (n, 9))
    logits[np.arange(n), truth] += strength
    p = np.exp(logits)
    p /= p.sum(1, keepdims=True)
    return np.round(p, 3)  # ties, and scores exactly on 0.1 / 0.05 edges


def write(path, p, order):
    df = pd.DataFrame({"image_name": names, "fold": folds, "is_ext": is_ext, "target": (truth == mel).astype(int),
                       "pred": p[:, mel], "class": truth})
    for k, c in enumerate(classes):
        df[f"prob_{c}"] = p[:, k]
    df = df.iloc[order]
    df.to_csv(path, index=False)
    return df


pa, pb = model(1.6), model(1.2)
a = write(os.path.join(out, "oof_a.csv"), pa, np.argsort(folds, kind="stable"))
write(os.path.join(out, "oof_b.csv"), pb, rng.permutation(n))
a[["image_name", "fold", "is_ext", "target", "pred"]].to_csv(os.path.join(out, "oof_old.csv"), index=False)

y = a.target.values.astype(bool)
s = a.pred.values.astype(np.float64)


def finite(v):
    return [None if not np.isfinite(x) else float(x) for x in v]


fpr, tpr, thr = roc_curve(y, s, drop_intermediate=False)
prec, rec, pthr = precision_recall_curve(y, s)
sens = {}
for spec in (0.8, 0.9, 0.95):
    ok = (1 - fpr) >= spec
    sens[str(spec)] = float(tpr[ok].max())

prob_true, prob_pred = calibration_curve(y, s, n_bins=10, strategy="uniform")
edges = np.linspace(0.0, 1.0, 11)
binids = np.searchsorted(edges[1:-1], s)
counts = np.bincount(binids, minlength=10)
ece = 0.0
for b in range(10):
    m = binids == b
    if m.any():
        ece += m.sum() / n * abs(y[m].mean() - s[m].mean())

fold_auc = {}
for f in sorted(set(a.fold)):
    m = a.fold.values == f
    fold_auc[str(f)] = float(roc_auc_score(y[m], s[m]))

probs = a[[f"prob_{c}" for c in classes]].values
b = pd.read_csv(os.path.join(out, "oof_b.csv")).set_index("image_name").loc[a.image_name]
rho = spearmanr(a.pred.values, b.pred.values).statistic

expected = {
    "roc": {"fpr": finite(fpr), "tpr": finite(tpr), "thresholds": finite(thr)},
    "pr": {"precision": finite(prec), "recall": finite(rec), "thresholds": finite(pthr)},
    "ap": float(average_precision_score(y, s)),
    "auc": float(roc_auc_score(y, s)),
    "sensitivity": sens,
    "calibration": {"prob_true": finite(prob_true), "prob_pred": finite(prob_pred), "counts": counts.tolist(),
                    "ece": float(ece), "brier": float(brier_score_loss(y, s))},
    "hist_other": np.histogram(s[~y], bins=20, range=(0, 1))[0].tolist(),
    "hist_mel": np.histogram(s[y], bins=20, range=(0, 1))[0].tolist(),
    "fold_auc": fold_auc,
    "fold_auc_std": float(np.std(list(fold_auc.values()))),
    "confusion": confusion_matrix(a["class"].values, probs.argmax(1), labels=list(range(9))).tolist(),
    "spearman_ab": float(rho),
}
with open(os.path.join(out, "expected.json"), "w") as f:
    json.dump(expected, f)
