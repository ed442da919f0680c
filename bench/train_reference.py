"""The original training recipe in python (torch + geffnet + albumentations 0.4.6), for the
end-to-end benchmark in BENCHMARKS.md: same data, same flags, one fold, on this machine.

It follows /shared/reference/original-system.md sections 2 and 4: get_df / get_meta_data, the
albumentations train list at the stored resolution, Effnet_Melanoma with the meta branch and the
five-sample dropout head, Adam, CE, one warm-up epoch to 10x then the cosine (with the epoch-2
double step), validation without TTA, auc over all rows and auc_20 over 2020 rows.

usage: python bench/train_reference.py --kernel-type K --data-dir D --data-folder 128 --image-size 128 \
         --enet-type efficientnet_b0 --batch-size 32 --num-workers 2 --n-epochs 4 --use-meta --fold 0
Prints the original's epoch lines and, at the end, one JSON line with images/s, wall time,
peak RSS and the best AUC.
"""
import argparse
import json
import math
import os
import resource
import sys
import time

import cv2
import geffnet
import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from sklearn.metrics import roc_auc_score
from torch.utils.data import DataLoader, Dataset, RandomSampler, SequentialSampler

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Reference"))
from aug_albu import original_transforms as get_transforms  # noqa: E402  (albumentations 0.4.6, the original list)

DEFAULT_FOLDS = {2: 0, 4: 0, 5: 0, 1: 1, 10: 1, 13: 1, 0: 2, 9: 2, 12: 2, 3: 3, 8: 3, 11: 3, 6: 4, 7: 4, 14: 4}
NEW_FOLDS = {8: 0, 5: 0, 11: 0, 7: 1, 0: 1, 6: 1, 10: 2, 12: 2, 13: 2, 9: 3, 1: 3, 3: 3, 14: 4, 2: 4, 4: 4}


def get_df(kernel_type, out_dim, data_dir, data_folder, use_meta):
    base = os.path.join(data_dir, f"jpeg-melanoma-{data_folder}x{data_folder}")
    df = pd.read_csv(os.path.join(base, "train.csv"))
    df = df[df["tfrecord"] != -1].reset_index(drop=True)
    df["filepath"] = df["image_name"].apply(lambda n: os.path.join(base, "train", f"{n}.jpg"))
    if "newfold" in kernel_type:
        fmap = NEW_FOLDS
    elif "oldfold" in kernel_type:
        fmap = {i: i % 5 for i in range(15)}
    else:
        fmap = DEFAULT_FOLDS
    df["fold"] = df["tfrecord"].map(fmap)
    df["is_ext"] = 0
    for src, dst in [("seborrheic keratosis", "BKL"), ("lichenoid keratosis", "BKL"), ("solar lentigo", "BKL"),
                     ("lentigo NOS", "BKL"), ("cafe-au-lait macule", "unknown"),
                     ("atypical melanocytic proliferation", "unknown")]:
        df["diagnosis"] = df["diagnosis"].apply(lambda d: d.replace(src, dst))
    ext = os.path.join(data_dir, f"jpeg-isic2019-{data_folder}x{data_folder}")
    if os.path.exists(os.path.join(ext, "train.csv")):
        df2 = pd.read_csv(os.path.join(ext, "train.csv"))
        df2 = df2[df2["tfrecord"] >= 0].reset_index(drop=True)
        df2["filepath"] = df2["image_name"].apply(lambda n: os.path.join(ext, "train", f"{n}.jpg"))
        if "newfold" in kernel_type:
            df2["fold"] = (df2["tfrecord"] % 15).map(NEW_FOLDS)
        else:
            df2["fold"] = df2["tfrecord"] % 5
        df2["is_ext"] = 1
        repl = [("NV", "nevus"), ("MEL", "melanoma")]
        if out_dim == 4:
            repl += [(d, "unknown") for d in ("DF", "AK", "SCC", "VASC", "BCC")]
        for src, dst in repl:
            df2["diagnosis"] = df2["diagnosis"].apply(lambda d: d.replace(src, dst))
        df = pd.concat([df, df2]).reset_index(drop=True)
    test = pd.read_csv(os.path.join(base, "test.csv"))
    test["filepath"] = test["image_name"].apply(lambda n: os.path.join(base, "test", f"{n}.jpg"))
    meta_features, n_meta = None, 0
    if use_meta:
        df, test, meta_features = get_meta_data(df, test)
        n_meta = len(meta_features)
    classes = {d: i for i, d in enumerate(sorted(df["diagnosis"].unique()))}
    df["target"] = df["diagnosis"].map(classes)
    return df, test, meta_features, n_meta, classes["melanoma"]


def get_meta_data(df, test):
    site = "anatom_site_general_challenge"
    dummies = pd.get_dummies(pd.concat([df[site], test[site]], ignore_index=True), dummy_na=True, dtype=np.uint8,
                             prefix="site")
    df = pd.concat([df, dummies.iloc[: df.shape[0]].reset_index(drop=True)], axis=1)
    test = pd.concat([test, dummies.iloc[df.shape[0]:].reset_index(drop=True)], axis=1)
    for d in (df, test):
        d["sex"] = d["sex"].map({"male": 1, "female": 0}).fillna(-1)
        d["age_approx"] = (d["age_approx"] / 90).fillna(0)
    df["patient_id"] = df["patient_id"].fillna(0)
    for d in (df, test):
        d["n_images"] = d["patient_id"].map(d.groupby("patient_id")["image_name"].count())
    df.loc[df["patient_id"] == -1, "n_images"] = 1
    for d in (df, test):
        d["n_images"] = np.log1p(d["n_images"].values)
        d["image_size"] = np.log(d["filepath"].apply(os.path.getsize).values.astype(np.float64))
    meta = ["sex", "age_approx", "n_images", "image_size"] + [c for c in df.columns if c.startswith("site_")]
    return df, test, meta


class MelanomaDataset(Dataset):
    def __init__(self, df, meta_features, transform):
        self.df, self.meta, self.transform = df.reset_index(drop=True), meta_features, transform

    def __len__(self):
        return len(self.df)

    def __getitem__(self, i):
        row = self.df.iloc[i]
        image = cv2.cvtColor(cv2.imread(row["filepath"]), cv2.COLOR_BGR2RGB)
        image = self.transform(image=image)["image"].astype(np.float32).transpose(2, 0, 1)
        x = torch.tensor(image)
        if self.meta is not None:
            x = (x, torch.tensor(row[self.meta].values.astype(np.float32)))
        return x, torch.tensor(row["target"]).long()


class Swish(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(x)


class EffnetMelanoma(nn.Module):
    def __init__(self, enet_type, out_dim, n_meta, n_meta_dim):
        super().__init__()
        self.n_meta = n_meta
        self.enet = geffnet.create_model(enet_type, pretrained=False)
        in_ch = self.enet.classifier.in_features
        self.enet.classifier = nn.Identity()
        self.dropouts = nn.ModuleList([nn.Dropout(0.5) for _ in range(5)])
        if n_meta > 0:
            self.meta = nn.Sequential(nn.Linear(n_meta, n_meta_dim[0]), nn.BatchNorm1d(n_meta_dim[0]), Swish(),
                                      nn.Dropout(p=0.3), nn.Linear(n_meta_dim[0], n_meta_dim[1]),
                                      nn.BatchNorm1d(n_meta_dim[1]), Swish())
            in_ch += n_meta_dim[1]
        self.myfc = nn.Linear(in_ch, out_dim)

    def forward(self, x, x_meta=None):
        x = self.enet(x)
        if self.n_meta > 0:
            x = torch.cat((x, self.meta(x_meta)), dim=1)
        return sum(self.myfc(d(x)) for d in self.dropouts) / len(self.dropouts)


def lr_for_epoch(epoch, init_lr, n_epochs):
    """The warm-up + cosine trace of section 4.4 (epoch is 1-based)."""
    if epoch == 1:
        return init_lr
    return 10 * init_lr * (1 + math.cos(math.pi * (epoch - 2) / (n_epochs - 1))) / 2


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kernel-type", required=True)
    p.add_argument("--data-dir", required=True)
    p.add_argument("--data-folder", type=int, required=True)
    p.add_argument("--image-size", type=int, required=True)
    p.add_argument("--enet-type", default="efficientnet_b0")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--num-workers", type=int, default=2)
    p.add_argument("--init-lr", type=float, default=3e-5)
    p.add_argument("--out-dim", type=int, default=9)
    p.add_argument("--n-epochs", type=int, default=4)
    p.add_argument("--use-meta", action="store_true")
    p.add_argument("--fold", type=int, default=0)
    p.add_argument("--n-meta-dim", default="512,128")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--use-amp", action="store_true", help="autocast (--amp-dtype) as the Swift side's --use-amp")
    p.add_argument("--amp-dtype", default="bf16", choices=["bf16", "fp16"])
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    np.random.seed(a.seed)
    df, _, meta, n_meta, mel_idx = get_df(a.kernel_type, a.out_dim, a.data_dir, a.data_folder, a.use_meta)
    tr, va = get_transforms(a.image_size)
    train_df, valid_df = df[df["fold"] != a.fold], df[df["fold"] == a.fold]
    train_loader = DataLoader(MelanomaDataset(train_df, meta, tr), batch_size=a.batch_size,
                              sampler=RandomSampler(train_df), num_workers=a.num_workers)
    valid_loader = DataLoader(MelanomaDataset(valid_df, meta, va), batch_size=a.batch_size,
                              sampler=SequentialSampler(valid_df), num_workers=a.num_workers)
    model = EffnetMelanoma(a.enet_type, a.out_dim, n_meta, [int(x) for x in a.n_meta_dim.split(",")])
    dev = torch.device(a.device)
    model = model.to(dev)
    amp_dtype = torch.float16 if a.amp_dtype == "fp16" else torch.bfloat16
    scaler = torch.amp.GradScaler(dev.type, enabled=a.use_amp and a.amp_dtype == "fp16")
    to_dev = lambda x: tuple(t.to(dev, non_blocking=True) for t in x) if n_meta else (x.to(dev, non_blocking=True),)
    opt = torch.optim.Adam(model.parameters(), lr=a.init_lr)
    crit = nn.CrossEntropyLoss()
    start, seen, best = time.time(), 0, 0.0
    for epoch in range(1, a.n_epochs + 1):
        lr = lr_for_epoch(epoch, a.init_lr, a.n_epochs)
        for g in opt.param_groups:
            g["lr"] = lr
        model.train()
        losses = []
        for x, y in train_loader:
            opt.zero_grad()
            y = y.to(dev)
            with torch.autocast(dev.type, dtype=amp_dtype, enabled=a.use_amp):
                loss = crit(model(*to_dev(x)).float(), y)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            losses.append(loss.item())
            seen += len(y)
        model.eval()
        probs, targets, is_ext, vlosses = [], [], [], []
        with torch.no_grad():
            for x, y in valid_loader:
                with torch.autocast(dev.type, dtype=amp_dtype, enabled=a.use_amp):
                    out = model(*to_dev(x)).float().cpu()
                vlosses.append(crit(out, y).item())
                probs.append(out.softmax(1))
                targets.append(y)
        probs, targets = torch.cat(probs).numpy(), torch.cat(targets).numpy()
        ext = valid_df["is_ext"].values
        acc = (probs.argmax(1) == targets).mean() * 100
        auc = roc_auc_score(targets == mel_idx, probs[:, mel_idx])
        auc20 = roc_auc_score((targets == mel_idx)[ext == 0], probs[ext == 0, mel_idx])
        best = max(best, auc)
        print(f"{time.ctime()} Fold {a.fold}, Epoch {epoch}, lr: {lr:.7f}, train loss: {np.mean(losses):.5f}, "
              f"valid loss: {np.mean(vlosses):.5f}, acc: {acc:.4f}, auc: {auc:.6f}, auc_20: {auc20:.6f}.", flush=True)
    wall = time.time() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"wall_s": round(wall, 1), "train_images_per_s": round(seen / wall, 2),
                      "peak_rss_mib": round(peak / 1024, 1), "best_auc": round(best, 6), "last_auc": round(auc, 6)}))


if __name__ == "__main__":
    main()
