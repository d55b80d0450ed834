#!/usr/bin/python3
"""Writes the XGBoost fixtures test_tree.c checks inference and TreeSHAP against.

XGBoost 1.7 (Debian's python3-xgboost) trains a binary and a three-class
model on synthetic data with missing values; each model is converted to
Lathe's saved ensemble format (model/tree_io.c) as NAME.trees, and NAME.csv
holds test rows with XGBoost's margins (output_margin) and path-dependent
TreeSHAP contributions (pred_contribs) for each.

Data are float32 numbers, as XGBoost reads them, so XGBoost's "x < t" and
Lathe's "x <= the float32 just below t" route every row alike. Covers are
XGBoost's hessian sums, the weights its TreeSHAP uses.

    cd tests && /usr/bin/python3 data/trees/make_xgboost_fixture.py
"""
import json
import struct

import numpy as np
import xgboost as xgb

N_FEATURES = 6
u32 = lambda v: struct.pack("<I", v)
u64 = lambda v: struct.pack("<Q", v)
f64 = lambda v: struct.pack("<d", v)
i32 = lambda v: struct.pack("<i", v)


def data(rng, n, n_classes):
    x = rng.normal(size=(n, N_FEATURES)).astype(np.float32)
    score = x[:, 0] + x[:, 1] * x[:, 2] - 0.5 * np.abs(x[:, 3]) + 0.3 * rng.normal(size=n)
    x[rng.random(x.shape) < 0.1] = np.nan
    if n_classes == 2:
        return x, (score > 0).astype(int)
    return x, np.digitize(score, [-0.5, 0.5])


def convert_tree(tree):
    left, right = tree["left_children"], tree["right_children"]
    n = len(left)
    below = lambda t: float(np.nextafter(np.float32(t), np.float32(-np.inf)))
    out = u64(1) + u64(n)
    out += b"".join(i32(v) for v in left) + b"".join(i32(v) for v in right)
    out += b"".join(u32(f if left[i] >= 0 else 0) for i, f in enumerate(tree["split_indices"]))
    out += b"".join(f64(below(t) if left[i] >= 0 else 0.0)
                    for i, t in enumerate(tree["split_conditions"]))
    out += bytes(int(d) if left[i] >= 0 else 0 for i, d in enumerate(tree["default_left"]))
    out += u32(0) * n + u32(0) * n
    out += b"".join(f64(h) for h in tree["sum_hessian"])
    out += b"".join(f64(g if left[i] >= 0 else 0.0) for i, g in enumerate(tree["loss_changes"]))
    out += b"".join(f64(tree["split_conditions"][i] if left[i] < 0 else tree["base_weights"][i])
                    for i in range(n))
    return out + u64(0)


def convert(booster, n_classes, base_margin):
    trees = json.loads(booster.save_raw("json"))["learner"]["gradient_booster"]["model"]["trees"]
    n_raw = 1 if n_classes == 2 else n_classes
    link = 1 if n_classes == 2 else 2  # sigmoid, softmax
    out = u32(1) + bytes([link]) + u64(N_FEATURES) + u64(n_raw) + u64(n_raw) + f64(0)
    out += u64(n_raw) + b"".join(f64(base_margin) for _ in range(n_raw))
    out += bytes([n_raw > 1]) + u64(len(trees))
    if n_raw > 1:
        out += b"".join(u32(i % n_raw) for i in range(len(trees)))
    return out + b"".join(convert_tree(t) for t in trees)


def write(name, n_classes, objective, rounds, depth, base_margin):
    rng = np.random.default_rng(20240611 + n_classes)
    x, y = data(rng, 600, n_classes)
    params = {"objective": objective, "max_depth": depth, "eta": 0.3, "base_score": 0.5,
              "tree_method": "hist", "nthread": 1, "seed": 1}
    if n_classes > 2:
        params["num_class"] = n_classes
    booster = xgb.train(params, xgb.DMatrix(x[:500], label=y[:500]), rounds)
    test = xgb.DMatrix(x[500:])
    margin = booster.predict(test, output_margin=True).reshape(100, -1)
    contribs = booster.predict(test, pred_contribs=True).reshape(100, -1)
    with open(f"data/trees/{name}.trees", "wb") as f:
        f.write(convert(booster, n_classes, base_margin))
    with open(f"data/trees/{name}.csv", "w") as f:
        f.write("# %d features, then %d margins, then contributions and bias per margin\n"
                % (N_FEATURES, margin.shape[1]))
        for r in range(100):
            values = list(x[500 + r]) + list(margin[r]) + list(contribs[r])
            f.write(",".join(repr(float(v)) for v in values) + "\n")


# Binary log loss starts from logit(base_score) = 0; softprob adds base_score itself.
write("xgb_binary", 2, "binary:logistic", 15, 4, 0.0)
write("xgb_softmax", 3, "multi:softprob", 8, 3, 0.5)
