"""Out-of-fold predictions and evaluate.py's four AUCs, computed with pandas and scikit-learn.

Usage: pipeline_oof.py OUT_DIR
Writes OUT_DIR/oof.csv (image_name,fold,is_ext,target,pred with target = 1 for melanoma) and
OUT_DIR/scores.txt (name,repr(value)) plus OUT_DIR/block.txt (evaluate.py's log content).
"""
import os
import sys

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

out = sys.argv[1]
rng = np.random.default_rng(11)
mel_idx = 6
n = 6000
folds = rng.integers(0, 5, n)
is_ext = (rng.random(n) < 0.45).astype(int)
target = np.where(rng.random(n) < np.where(is_ext == 1, 0.10, 0.018), mel_idx, rng.integers(0, 6, n))
# per-fold calibration shifts so raw and ranked AUCs differ; coarse grid for ties
pred = 1 / (1 + np.exp(-(rng.normal(-3, 1.5, n) + 2.0 * (target == mel_idx) + 0.6 * folds - 0.4 * is_ext)))
pred = np.round(pred.astype(np.float32).astype(np.float64), 3)
dfs = pd.DataFrame({"image_name": [f"ISIC_{i:07d}" for i in range(n)], "fold": folds, "is_ext": is_ext,
                    "target": target, "pred": pred})
dfs = pd.concat([dfs[dfs.fold == f] for f in range(5)]).reset_index(drop=True)  # fold-0 rows first

# evaluate.py, main(), after the fold loop
auc_all_raw = roc_auc_score(dfs['target'] == mel_idx, dfs['pred'])
dfs2 = dfs.copy()
for i in range(5):
    dfs2.loc[dfs2['fold'] == i, 'pred'] = dfs2.loc[dfs2['fold'] == i, 'pred'].rank(pct=True)
auc_all_rank = roc_auc_score(dfs2['target'] == mel_idx, dfs2['pred'])
dfs3 = dfs[dfs.is_ext == 0].copy().reset_index(drop=True)
auc_20_raw = roc_auc_score(dfs3['target'] == mel_idx, dfs3['pred'])
for i in range(5):
    dfs3.loc[dfs3['fold'] == i, 'pred'] = dfs3.loc[dfs3['fold'] == i, 'pred'].rank(pct=True)
auc_20_rank = roc_auc_score(dfs3['target'] == mel_idx, dfs3['pred'])
content = f'Eval best:\nauc_all_raw : {auc_all_raw:.5f}\nauc_all_rank : {auc_all_rank:.5f}\nauc_20_raw : {auc_20_raw:.5f}\nauc_20_rank : {auc_20_rank:.5f}\n'

oof = dfs.assign(target=(dfs.target == mel_idx).astype(int))
oof.to_csv(os.path.join(out, "oof.csv"), index=False)
with open(os.path.join(out, "scores.txt"), "w") as f:
    for k, v in [("auc_all_raw", auc_all_raw), ("auc_all_rank", auc_all_rank), ("auc_20_raw", auc_20_raw),
                 ("auc_20_rank", auc_20_rank)]:
        f.write(f"{k},{float(v)!r}\n")
with open(os.path.join(out, "block.txt"), "w") as f:
    f.write(content + '\n')
