"""Builds a small, awkward dataset in the original's layout and the tables the original get_df /
get_meta_data (dataset.py) would make from it, computed here with pandas.

usage: data_parity.py DIR
writes DIR/jpeg-melanoma-64x64/..., DIR/jpeg-isic2019-64x64/... and DIR/expected_<kernel>_<outdim>.json
for kernel in (plain, newfold, oldfold) and out_dim in (9, 4).
"""
import json
import os
import sys

import numpy as np
import pandas as pd

F = 64
rng = np.random.default_rng(20200827)


def quote(v):
    s = str(v)
    return '"' + s.replace('"', '""') + '"'


def write_csv(path, header, rows, crlf=False, quote_cols=()):
    nl = "\r\n" if crlf else "\n"
    with open(path, "w", newline="") as f:
        f.write(",".join(header) + nl)
        for r in rows:
            f.write(",".join(quote(v) if (i in quote_cols and v != "") else str(v) for i, v in enumerate(r)) + nl)


def write_image(path):
    with open(path, "wb") as f:
        f.write(rng.integers(0, 256, int(rng.integers(300, 40000)), dtype=np.uint8).tobytes())


def make(root):
    d20 = os.path.join(root, f"jpeg-melanoma-{F}x{F}")
    d19 = os.path.join(root, f"jpeg-isic2019-{F}x{F}")
    for d in (d20 + "/train", d20 + "/test", d19 + "/train"):
        os.makedirs(d, exist_ok=True)
    header = ["image_name", "patient_id", "sex", "age_approx", "anatom_site_general_challenge", "diagnosis",
              "benign_malignant", "target", "tfrecord", "width", "height", "notes"]
    sites20 = ["torso", "lower extremity", "upper extremity", "head/neck", "palms/soles", ""]
    diags20 = ["unknown", "nevus", "melanoma", "seborrheic keratosis", "lentigo NOS", "lichenoid keratosis",
               "solar lentigo", "cafe-au-lait macule", "atypical melanocytic proliferation"]
    # Patients with very different image counts, plus rows without a patient_id.
    patients = ["IP_%07d" % i for i in range(9)]
    sizes = [1, 2, 3, 12, 5, 1, 7, 2, 4]
    rows = []
    n = 0
    for p, k in zip(patients + [""], sizes + [3]):
        for _ in range(k):
            diag = diags20[n % len(diags20)] if n % 3 else ("unknown" if n % 2 else "nevus")
            tf = -1 if n % 11 == 5 else int(rng.integers(0, 15))
            sex = ["male", "female", ""][n % 7 % 3] if n % 7 < 3 else ("male" if n % 2 else "female")
            age = ["", "45.0", "NaN", "70", "5.0", "85.0", "30"][n % 7]
            notes = 'has "quotes", a comma\nand a newline' if n % 9 == 4 else ("plain" if n % 2 else "")
            rows.append([f"ISIC_{1000 + n:07d}", p, sex, age, sites20[n % len(sites20)], diag,
                         "malignant" if diag == "melanoma" else "benign", int(diag == "melanoma"), tf,
                         6000, 4000, notes])
            if tf != -1:
                write_image(os.path.join(d20, "train", rows[-1][0] + ".jpg"))
            n += 1
    write_csv(os.path.join(d20, "train.csv"), header, rows, quote_cols=(0, 4, 11))

    sites19 = ["anterior torso", "posterior torso", "lateral torso", "head/neck", "lower extremity", "",
               "upper extremity"]
    diags19 = ["NV", "MEL", "BCC", "BKL", "AK", "SCC", "VASC", "DF", "NV", "MEL"]
    rows19 = []
    for i in range(30):
        tf = [-1, -2][i % 2] if i % 8 == 3 else int(rng.integers(0, 30))
        age = "" if i % 6 == 2 else str(float(5 * (i % 17) + 5))
        rows19.append([f"ISIC_{i:07d}", -1, ["female", "male", ""][i % 3], age, sites19[i % len(sites19)],
                       diags19[i % len(diags19)], "benign", int(diags19[i % len(diags19)] == "MEL"), tf, 1022, 767, ""])
        if tf >= 0:
            write_image(os.path.join(d19, "train", rows19[-1][0] + ".jpg"))
    write_csv(os.path.join(d19, "train.csv"), header, rows19, crlf=True, quote_cols=(5,))

    test_header = ["image_name", "patient_id", "sex", "age_approx", "anatom_site_general_challenge", "width", "height"]
    sites_test = ["torso", "oral/genital", "", "head/neck", "palms/soles"]
    test_rows = []
    for i in range(16):
        test_rows.append([f"ISIC_{900000 + i:07d}", "IP_%07d" % (100 + i % 5 if i % 4 else 200), ["male", "female"][i % 2],
                          "" if i % 5 == 1 else str(35 + i), sites_test[i % len(sites_test)], 1024, 768])
        write_image(os.path.join(d20, "test", test_rows[-1][0] + ".jpg"))
    write_csv(os.path.join(d20, "test.csv"), test_header, test_rows, quote_cols=(1,))


# ---- the original steps, with pandas -------------------------------------------------------------

FOLDS = {
    "newfold": {8: 0, 5: 0, 11: 0, 7: 1, 0: 1, 6: 1, 10: 2, 12: 2, 13: 2, 9: 3, 1: 3, 3: 3, 14: 4, 2: 4, 4: 4},
    "oldfold": {i: i % 5 for i in range(15)},
    "default": {2: 0, 4: 0, 5: 0, 1: 1, 10: 1, 13: 1, 0: 2, 9: 2, 12: 2, 3: 3, 8: 3, 11: 3, 6: 4, 7: 4, 14: 4},
}


def reference_tables(root, kernel_type, out_dim):
    d20 = os.path.join(root, f"jpeg-melanoma-{F}x{F}")
    d19 = os.path.join(root, f"jpeg-isic2019-{F}x{F}")
    tr = pd.read_csv(os.path.join(d20, "train.csv"))
    tr = tr[tr["tfrecord"] != -1].reset_index(drop=True)
    tr["filepath"] = tr["image_name"].apply(lambda x: os.path.join(d20, "train", f"{x}.jpg"))
    key = "newfold" if "newfold" in kernel_type else ("oldfold" if "oldfold" in kernel_type else "default")
    tr["fold"] = tr["tfrecord"].map(FOLDS[key])
    tr["is_ext"] = 0

    ex = pd.read_csv(os.path.join(d19, "train.csv"))
    ex = ex[ex["tfrecord"] >= 0].reset_index(drop=True)
    ex["filepath"] = ex["image_name"].apply(lambda x: os.path.join(d19, "train", f"{x}.jpg"))
    if key == "newfold":
        ex["tfrecord"] = ex["tfrecord"] % 15
        ex["fold"] = ex["tfrecord"].map(FOLDS["newfold"])
    else:
        ex["fold"] = ex["tfrecord"] % 5
    ex["is_ext"] = 1

    for a, b in [("seborrheic keratosis", "BKL"), ("lichenoid keratosis", "BKL"), ("solar lentigo", "BKL"),
                 ("lentigo NOS", "BKL"), ("cafe-au-lait macule", "unknown"),
                 ("atypical melanocytic proliferation", "unknown")]:
        tr["diagnosis"] = tr["diagnosis"].apply(lambda x: x.replace(a, b))
    pairs = [("NV", "nevus"), ("MEL", "melanoma")]
    if out_dim == 4:
        pairs += [("DF", "unknown"), ("AK", "unknown"), ("SCC", "unknown"), ("VASC", "unknown"), ("BCC", "unknown")]
    for a, b in pairs:
        ex["diagnosis"] = ex["diagnosis"].apply(lambda x: x.replace(a, b))
    tr = pd.concat([tr, ex]).reset_index(drop=True)

    te = pd.read_csv(os.path.join(d20, "test.csv"))
    te["filepath"] = te["image_name"].apply(lambda x: os.path.join(d20, "test", f"{x}.jpg"))

    # get_meta_data
    site = pd.concat([tr["anatom_site_general_challenge"], te["anatom_site_general_challenge"]], ignore_index=True)
    dummies = pd.get_dummies(site, dummy_na=True, dtype=np.uint8, prefix="site")
    tr = pd.concat([tr, dummies.iloc[: tr.shape[0]]], axis=1)
    te = pd.concat([te, dummies.iloc[tr.shape[0]:].reset_index(drop=True)], axis=1)
    for df in (tr, te):
        df["sex"] = df["sex"].map({"male": 1, "female": 0}).fillna(-1)
        df["age_approx"] = (df["age_approx"] / 90).fillna(0)
    tr["patient_id"] = tr["patient_id"].fillna(0)
    tr["n_images"] = tr.patient_id.map(tr.groupby(["patient_id"]).image_name.count())
    te["n_images"] = te.patient_id.map(te.groupby(["patient_id"]).image_name.count())
    tr.loc[tr["patient_id"] == -1, "n_images"] = 1
    for df in (tr, te):
        df["n_images"] = np.log1p(df["n_images"].values.astype(np.float64))
        df["image_size"] = np.log(np.array([os.path.getsize(p) for p in df["filepath"]], dtype=np.float64))
    meta = ["sex", "age_approx", "n_images", "image_size"] + [c for c in tr.columns if c.startswith("site_")]

    classes = sorted(tr.diagnosis.unique())
    idx = {d: i for i, d in enumerate(classes)}
    tr["target"] = tr["diagnosis"].map(idx)
    return {
        "classes": classes,
        "mel_idx": idx["melanoma"],
        "meta_features": meta,
        "train": [[r.image_name, int(r.fold), int(r.target), int(r.is_ext), [float(r[m]) for m in meta]]
                  for _, r in tr.iterrows()],
        "test": [[r.image_name, [float(r[m]) for m in meta]] for _, r in te.iterrows()],
    }


if __name__ == "__main__":
    root = sys.argv[1]
    make(root)
    for kernel in ("9c_b4ns_448_ext_15ep-meta", "9c_b4ns_768_768_ext_15ep_newfold", "4c_b5ns_1.5e_640_ext_15ep_oldfold"):
        for out_dim in (9, 4):
            tag = "newfold" if "newfold" in kernel else ("oldfold" if "oldfold" in kernel else "default")
            with open(os.path.join(root, f"expected_{tag}_{out_dim}.json"), "w") as f:
                json.dump({"kernel_type": kernel, **reference_tables(root, kernel, out_dim)}, f)
