"""Submissions and their rank ensemble computed with pandas/numpy as the original's ensemble.py.

Usage: pipeline_ensemble.py OUT_DIR
Writes OUT_DIR/subs/*.csv (5 submissions over the same 3,000 images; heavy ties; one file in a
shuffled row order), OUT_DIR/expected_equal.csv (the original's equal weights 1/n) and
OUT_DIR/expected_weighted.csv (weights 2,1,1,0.5,3 divided by their sum), both in the first file's
row order, plus OUT_DIR/bad/ with two files over different image sets.
"""
import os
import sys

import numpy as np
import pandas as pd

out = sys.argv[1]
rng = np.random.default_rng(6)
os.makedirs(os.path.join(out, "subs"), exist_ok=True)
os.makedirs(os.path.join(out, "bad"), exist_ok=True)

n = 3000
names = [f"ISIC_{i:07d}" for i in rng.choice(10_000_000, n, replace=False)]
files = ["sub_9c_b4ns_448_ext_15ep-newfold_best.csv", "sub_9c_meta_b3_768_512_ext_18ep_best.csv",
         "sub_4c_b5ns_1.5e_640_ext_15ep_best.csv", "sub_9c_b7ns_1e_640_ext_15ep_best.csv",
         "sub_9c_se_x101_640_ext_15ep_best.csv"]
truth = rng.random(n) < 0.02
for k, fname in enumerate(files):
    p = 1 / (1 + np.exp(-(rng.normal(-4, 2, n) + 2.5 * truth)))
    if k == 1:
        p = np.round(p, 2)  # many ties
    if k == 2:
        p = p.astype(np.float32).astype(np.float64)
    df = pd.DataFrame({"image_name": names, "target": p})
    if k == 3:
        df = df.sample(frac=1.0, random_state=3).reset_index(drop=True)  # another row order
    df.to_csv(os.path.join(out, "subs", fname), index=False)


def ensemble(paths, wts):
    subs = [pd.read_csv(p) for p in paths]
    first = subs[0]
    # ensemble.py assumes one order; align every file on the first one's image order first.
    subs = [s.set_index("image_name").loc[first.image_name].reset_index() for s in subs]
    sub_probs = [s.target.rank(pct=True).values for s in subs]
    final = np.sum([wts[i] * sub_probs[i] for i in range(len(wts))], axis=0)
    res = first.copy()
    res["target"] = final
    return res


paths = sorted(os.path.join(out, "subs", f) for f in os.listdir(os.path.join(out, "subs")))
ensemble(paths, [1 / len(paths)] * len(paths)).to_csv(os.path.join(out, "expected_equal.csv"), index=False)
w = np.array([2, 1, 1, 0.5, 3], dtype=np.float64)
ensemble(paths, list(w / w.sum())).to_csv(os.path.join(out, "expected_weighted.csv"), index=False)

pd.DataFrame({"image_name": names[:10], "target": rng.random(10)}).to_csv(os.path.join(out, "bad", "a.csv"), index=False)
pd.DataFrame({"image_name": names[:9] + ["ISIC_9999999x"], "target": rng.random(10)}).to_csv(
    os.path.join(out, "bad", "b.csv"), index=False)
