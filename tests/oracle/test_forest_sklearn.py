#!/usr/bin/python3
"""Lathe's tree families against scikit-learn 1.2 (Debian's python3-sklearn).

1. One CART tree is deterministic, so `lathe train --model tree` must score
   exactly as DecisionTreeClassifier / DecisionTreeRegressor on the same rows:
   random data whose values are exact in float32 (scikit-learn's trees work in
   float32), several settings (depth, entropy, min_samples_leaf, ccp_alpha,
   max_leaf_nodes, friedman_mse). Test accuracy and ROC-AUC, or RMSE and MAE,
   must agree to 1e-9. (Cases avoid tiny leaves, where two features can cut
   off the same rows and the tie goes to whichever is drawn first.)

2. Random forests against scikit-learn's RandomForest figures on the fixed
   splits (../shared/BENCHMARKS.md, sk_forest: 100 trees, default settings):
   accuracy no more than 0.005 below, ROC-AUC no more than 0.002 below, RMSE
   no more than 1% above. `lathe train SPLIT/train.csv --test-data
   SPLIT/test.csv --model forest` with default settings, 2 threads.

3. isolation_forest on shuttle as "Rad.Flow against the rest" (a binary
   target): test ROC-AUC no more than 0.03 below IsolationForest fitted on
   the Rad.Flow rows (both random; their spread over seeds is about 0.015).

Under AddressSanitizer (a lathe binary that holds __asan_init) the diamonds
split is left out of part 2: its 100 full-depth regression trees take over a
minute there. Release builds check every split.

Usage: test_forest_sklearn.py PATH_TO_LATHE   (run from tests/)
"""
import json
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import pandas as pd
from sklearn.ensemble import IsolationForest
from sklearn.metrics import accuracy_score, mean_absolute_error, mean_squared_error, roc_auc_score
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

warnings.simplefilter("ignore")

LATHE = sys.argv[1]
WORK = tempfile.mkdtemp(prefix="lathe-forest-")
passed = 0
failed = 0


def check(ok, what):
    global passed, failed
    print(("ok   " if ok else "FAIL ") + what)
    passed += ok
    failed += not ok


def sanitized(binary):
    with open(binary, "rb") as f:
        return b"__asan_init" in f.read()


def lathe_train(train, test, target, model, *settings, threads=1):
    args = [LATHE, "train", train, "--test-data", test, "--target", target, "--model", model,
            "--threads", str(threads), "-o", os.path.join(WORK, "model.lathe"), "--json"]
    for s in settings:
        args += ["--set", s]
    out = subprocess.run(args, capture_output=True, text=True)
    if out.returncode != 0:
        return None, out.stderr.strip()
    return json.loads(out.stdout)["metrics"], None


# ---- 1. one tree, exactly ------------------------------------------------------------

def tree_data(regression):
    rng = np.random.default_rng(7)
    n, d = 1000, 5
    x = rng.integers(0, 4096, size=(n, d)) / 64.0  # exact in float32
    score = np.sin(x[:, 0] / 9) + x[:, 1] / 40 - (x[:, 2] > 30) + rng.normal(0, 0.3, n)
    if regression:
        y = 10 * score
    else:
        y = np.digitize(score, [-0.3, 0.6])  # 3 classes
    cols = [f"f{j}" for j in range(d)]
    frame = pd.DataFrame(x, columns=cols)
    frame["y"] = y if regression else [f"c{v}" for v in y]
    train, test = frame.iloc[:700], frame.iloc[700:]
    train.to_csv(os.path.join(WORK, "tree_train.csv"), index=False)
    test.to_csv(os.path.join(WORK, "tree_test.csv"), index=False)
    return train[cols].to_numpy(), train["y"].to_numpy(), test[cols].to_numpy(), test["y"].to_numpy()


def sklearn_settings(settings):
    out = {}
    for s in settings:
        name, value = s.split("=")
        out[name] = value if name == "criterion" else (float(value) if "." in value else int(value))
    return out


# Small nodes can tie: two features cutting off the same rows make the same split,
# and which one wins depends on the order features are drawn in, which differs from
# scikit-learn's. The cases keep leaves large (or prune them away) so that no tie
# decides a split.
CLASS_CASES = [("max_depth=4",), ("max_depth=4", "criterion=entropy"), ("min_samples_leaf=40",),
               ("max_depth=5", "criterion=log_loss"), ("ccp_alpha=0.005",),
               ("max_leaf_nodes=12",)]
VALUE_CASES = [("max_depth=4",), ("max_depth=4", "criterion=friedman_mse"),
               ("min_samples_leaf=15",), ("min_samples_split=40",), ("ccp_alpha=0.5",),
               ("max_leaf_nodes=16",)]


def check_trees():
    train = os.path.join(WORK, "tree_train.csv")
    test = os.path.join(WORK, "tree_test.csv")
    xtr, ytr, xte, yte = tree_data(regression=False)
    for settings in CLASS_CASES:
        got, error = lathe_train(train, test, "y", "tree", *settings)
        sk = DecisionTreeClassifier(random_state=0, **sklearn_settings(settings)).fit(xtr, ytr)
        proba = sk.predict_proba(xte)
        want_acc = accuracy_score(yte, sk.predict(xte))
        want_auc = roc_auc_score(yte, proba, multi_class="ovr")
        name = "tree classifier " + (" ".join(settings) or "defaults")
        if got is None:
            check(False, f"{name}: {error}")
            continue
        check(abs(got["accuracy"] - want_acc) < 1e-9 and abs(got["roc_auc"] - want_auc) < 1e-9,
              f"{name}: accuracy {got['accuracy']:.6f} / {want_acc:.6f}, "
              f"ROC-AUC {got['roc_auc']:.6f} / {want_auc:.6f} ({sk.tree_.node_count} nodes)")
    xtr, ytr, xte, yte = tree_data(regression=True)
    for settings in VALUE_CASES:
        got, error = lathe_train(train, test, "y", "tree", *settings)
        sk = DecisionTreeRegressor(random_state=0, **sklearn_settings(settings)).fit(xtr, ytr)
        pred = sk.predict(xte)
        want_rmse = mean_squared_error(yte, pred, squared=False)
        want_mae = mean_absolute_error(yte, pred)
        name = "tree regressor " + (" ".join(settings) or "defaults")
        if got is None:
            check(False, f"{name}: {error}")
            continue
        check(abs(got["rmse"] - want_rmse) < 1e-9 * want_rmse and
              abs(got["mae"] - want_mae) < 1e-9 * want_mae,
              f"{name}: RMSE {got['rmse']:.6f} / {want_rmse:.6f}, MAE {got['mae']:.6f} / "
              f"{want_mae:.6f} ({sk.tree_.node_count} nodes)")


# ---- 2. forests on the fixed splits ------------------------------------------------------

# scikit-learn 1.2.1's RandomForest test figures on these splits (BENCHMARKS.md, sk_forest).
SK_FOREST = {
    "spam": ("type", {"accuracy": 0.9501, "roc_auc": 0.9825}),
    "pima_diabetes2": ("diabetes", {"accuracy": 0.7468, "roc_auc": 0.8107}),
    "shuttle": ("Class", {"accuracy": 0.9997, "roc_auc": 1.0000}),
    "income": ("INCOME", {"accuracy": 0.3218, "roc_auc": 0.7270}),
    "diamonds": ("price", {"rmse": 541.65}),
}
SLACK = {"accuracy": -0.005, "roc_auc": -0.002}


def check_forests():
    for name, (target, reference) in SK_FOREST.items():
        if name == "diamonds" and sanitized(LATHE):
            print(f"skip {name}: too slow under AddressSanitizer (release builds check it)")
            continue
        split = f"data/splits/{name}"
        got, error = lathe_train(f"{split}/train.csv", f"{split}/test.csv", target, "forest",
                                 threads=2)
        if got is None:
            check(False, f"forest {name}: {error}")
            continue
        for metric, want in reference.items():
            bar = want * 1.01 if metric == "rmse" else want + SLACK[metric]
            ok = got[metric] <= bar if metric == "rmse" else got[metric] >= bar
            check(ok, f"forest {name}: {metric} {got[metric]:.4f} (scikit-learn {want}, "
                      f"bar {'<=' if metric == 'rmse' else '>='} {bar:.4f})")


# ---- 3. a rare class as anomalies ---------------------------------------------------------

def check_isolation():
    paths = {}
    frames = {}
    for part in ("train", "test"):
        frame = pd.read_csv(f"data/splits/shuttle/{part}.csv")
        frame["anomaly"] = np.where(frame.pop("Class") == "Rad.Flow", "no", "yes")
        paths[part] = os.path.join(WORK, f"shuttle_{part}.csv")
        frame.to_csv(paths[part], index=False)
        frames[part] = frame
    got, error = lathe_train(paths["train"], paths["test"], "anomaly", "isolation_forest")
    train, test = frames["train"], frames["test"]
    features = [c for c in train.columns if c != "anomaly"]
    forest = IsolationForest(random_state=0).fit(train.loc[train.anomaly == "no", features])
    want = roc_auc_score(test.anomaly == "yes", -forest.score_samples(test[features]))
    if got is None:
        check(False, f"isolation_forest shuttle: {error}")
        return
    check(got["roc_auc"] >= want - 0.03,
          f"isolation_forest shuttle rest-vs-Rad.Flow: ROC-AUC {got['roc_auc']:.4f} "
          f"(scikit-learn {want:.4f}, bar >= {want - 0.03:.4f})")


check_trees()
check_forests()
check_isolation()
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
