"""How learnable is a `melanoma synth` dataset? Trains, on the 2020 train rows, (a) a logistic regression on
the metadata and (b) a small CNN on the images (plus (c) both), and prints test AUCs against test_labels.csv.

usage: data_synth_learnability.py DATA_DIR F [--epochs N] [--px P] [--device cpu|cuda] [--meta-only]
Prints one JSON line: {"meta_auc": ..., "cnn_auc": ..., "cnn_meta_auc": ..., ...}.
"""
import argparse
import json
import os
import time

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

ap = argparse.ArgumentParser()
ap.add_argument("data_dir")
ap.add_argument("folder", type=int)
ap.add_argument("--epochs", type=int, default=8)
ap.add_argument("--px", type=int, default=64)
ap.add_argument("--device", default="cpu")
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--meta-only", action="store_true", help="only the metadata logistic regression (fast)")
args = ap.parse_args()
np.random.seed(args.seed)
root = os.path.join(args.data_dir, f"jpeg-melanoma-{args.folder}x{args.folder}")
tr = pd.read_csv(os.path.join(root, "train.csv"))
tr = tr[tr.tfrecord != -1].reset_index(drop=True)
te = pd.read_csv(os.path.join(root, "test.csv")).merge(pd.read_csv(os.path.join(root, "test_labels.csv")), on="image_name")


def meta(df, sites):
    x = np.stack([df.sex.map({"male": 1, "female": 0}).fillna(-1), (df.age_approx / 90).fillna(0),
                  np.log1p(df.patient_id.map(df.groupby("patient_id").image_name.count()))], 1)
    s = np.stack([(df.anatom_site_general_challenge == v).values for v in sites], 1)
    return np.concatenate([x, s, df.anatom_site_general_challenge.isna().values[:, None]], 1).astype(np.float32)


sites = sorted(set(tr.anatom_site_general_challenge.dropna()) | set(te.anatom_site_general_challenge.dropna()))
xm_tr, xm_te = meta(tr, sites), meta(te, sites)
y_tr, y_te = tr.target.values.astype(np.float32), te.target.values
lr = LogisticRegression(max_iter=2000).fit(xm_tr, y_tr)
meta_auc = roc_auc_score(y_te, lr.predict_proba(xm_te)[:, 1])
if args.meta_only:
    print(json.dumps({"train_rows": len(tr), "test_rows": len(te), "meta_auc": round(meta_auc, 4)}))
    raise SystemExit(0)

import torch  # noqa: E402  (only the CNN part needs torch; the metadata check stays fast)
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import torchvision.io as tio  # noqa: E402

torch.manual_seed(args.seed)


def images(df, sub):
    out = []
    for n in df.image_name:
        im = tio.decode_jpeg(tio.read_file(os.path.join(root, sub, n + ".jpg"))).float() / 255
        out.append(F.interpolate(im[None], size=(args.px, args.px), mode="bilinear", antialias=True, align_corners=False)[0])
    return torch.stack(out)


t0 = time.time()
xi_tr, xi_te = images(tr, "train"), images(te, "test")
mean, std = xi_tr.mean((0, 2, 3), keepdim=True), xi_tr.std((0, 2, 3), keepdim=True)
xi_tr, xi_te = (xi_tr - mean) / std, (xi_te - mean) / std
dev = torch.device(args.device)


class Net(nn.Module):
    def __init__(self, n_meta):
        super().__init__()
        chans = [3, 16, 32, 64, 96]
        self.convs = nn.ModuleList(nn.Sequential(nn.Conv2d(a, b, 3, padding=1), nn.BatchNorm2d(b), nn.ReLU(), nn.MaxPool2d(2))
                                   for a, b in zip(chans, chans[1:]))
        self.meta = nn.Linear(n_meta, 16) if n_meta else None
        self.head = nn.Linear(96 + (16 if n_meta else 0), 1)

    def forward(self, x, m=None):
        for c in self.convs:
            x = c(x)
        x = x.mean((2, 3))
        if self.meta is not None:
            x = torch.cat([x, F.relu(self.meta(m))], 1)
        return self.head(x)[:, 0]


def fit(use_meta):
    net = Net(xm_tr.shape[1] if use_meta else 0).to(dev)
    opt = torch.optim.Adam(net.parameters(), 2e-3)
    xt, mt, yt = xi_tr.to(dev), torch.tensor(xm_tr).to(dev), torch.tensor(y_tr).to(dev)
    pos_weight = torch.tensor((1 - y_tr.mean()) / y_tr.mean()).to(dev)
    for _ in range(args.epochs):
        net.train()
        perm = torch.randperm(len(xt), device=dev)
        for i in range(0, len(xt), 64):
            idx = perm[i:i + 64]
            x = xt[idx]
            if torch.rand(1).item() < 0.5:
                x = x.flip(3)
            if torch.rand(1).item() < 0.5:
                x = x.flip(2)
            loss = F.binary_cross_entropy_with_logits(net(x, mt[idx]), yt[idx], pos_weight=pos_weight)
            opt.zero_grad()
            loss.backward()
            opt.step()
    net.eval()
    with torch.no_grad():
        p = torch.cat([net(xi_te[i:i + 256].to(dev), torch.tensor(xm_te[i:i + 256]).to(dev)).cpu()
                       for i in range(0, len(xi_te), 256)])
    return roc_auc_score(y_te, p.numpy())


cnn_auc = fit(False)
cnn_meta_auc = fit(True)
print(json.dumps({"train_rows": len(tr), "test_rows": len(te), "train_malignant": int(y_tr.sum()),
                  "test_malignant": int(y_te.sum()), "meta_auc": round(meta_auc, 4), "cnn_auc": round(cnn_auc, 4),
                  "cnn_meta_auc": round(cnn_meta_auc, 4), "epochs": args.epochs, "px": args.px,
                  "seconds": round(time.time() - t0, 1)}))
