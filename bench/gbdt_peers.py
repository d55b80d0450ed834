#!/usr/bin/python3
"""Gradient boosting peers for bench/gbdt.sh: XGBoost (hist) or scikit-learn's
HistGradientBoostingClassifier on the same files, the same settings as Lathe.

Usage: gbdt_peers.py xgb|hgb TRAIN.csv TEST.csv TARGET RUNS THREADS
                     ROUNDS LEARNING_RATE MAX_DEPTH LEAVES BINS
  xgb: depth-wise trees of MAX_DEPTH (tree_method=hist, max_bin=BINS + 1,
       XGBoost counting the missing bin in max_bin as 1.7 does not: 256);
  hgb: leaf-wise trees of LEAVES leaves (max_bins=BINS, early stopping off;
       its OpenMP threads come from OMP_NUM_THREADS, which gbdt.sh sets).
Prints one JSON line: median fit seconds over RUNS fits, batch predict_proba
rows per second on the test rows (median of 5 passes), mean microseconds of a one-row prediction
(XGBoost: Booster.inplace_predict, the fastest one-row path it has; HGB:
predict_proba on a one-row array), test accuracy / ROC-AUC (one-vs-rest for
more classes) / log loss, and the fit's peak resident memory: VmHWM, reset
just before the first fit through /proc/self/clear_refs, so it counts the
data the process holds plus what fitting adds (the whole process's peak comes
from /usr/bin/time in gbdt.sh).
"""
import json
import statistics
import sys
import time

import numpy as np
import pandas as pd
from sklearn import metrics

peer, train_path, test_path, target = sys.argv[1:5]
runs, threads, rounds = int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
learning_rate, max_depth, leaves, bins = float(sys.argv[8]), int(sys.argv[9]), int(sys.argv[10]), int(sys.argv[11])


def peak_kb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


train = pd.read_csv(train_path)
test = pd.read_csv(test_path)
classes = np.unique(train[target].values)
y_train = np.searchsorted(classes, train.pop(target).values)
y_test = np.searchsorted(classes, test.pop(target).values)
x_train = train.values.astype(np.float32)
x_test = test.values.astype(np.float32)
del train, test


def make():
    if peer == "xgb":
        import xgboost as xgb
        return xgb.XGBClassifier(tree_method="hist", n_estimators=rounds, max_depth=max_depth,
                                 learning_rate=learning_rate, max_bin=bins + 1, n_jobs=threads)
    from sklearn.ensemble import HistGradientBoostingClassifier
    return HistGradientBoostingClassifier(max_iter=rounds, learning_rate=learning_rate,
                                          max_leaf_nodes=leaves, max_bins=bins,
                                          early_stopping=False, random_state=0)


PREDICT_PASSES = 5  # batch prediction: the median of this many passes
reset_peak()
seconds = []
for _ in range(runs):
    model = make()
    start = time.perf_counter()
    model.fit(x_train, y_train)
    seconds.append(time.perf_counter() - start)
fit_peak = peak_kb()

predict_times = []
for _ in range(PREDICT_PASSES):
    start = time.perf_counter()
    proba = model.predict_proba(x_test)
    predict_times.append(time.perf_counter() - start)
predict_seconds = statistics.median(predict_times)

n_single = min(len(x_test), 2000 if peer == "xgb" else 200)
if peer == "xgb":
    booster = model.get_booster()
    start = time.perf_counter()
    for i in range(n_single):
        booster.inplace_predict(x_test[i:i + 1])
else:
    start = time.perf_counter()
    for i in range(n_single):
        model.predict_proba(x_test[i:i + 1])
row_microseconds = (time.perf_counter() - start) / n_single * 1e6

if len(classes) == 2:
    auc = metrics.roc_auc_score(y_test, proba[:, 1])
else:
    auc = metrics.roc_auc_score(y_test, proba, multi_class="ovr")
print(json.dumps({
    "fit_seconds": statistics.median(seconds),
    "predict_rows_per_s": len(x_test) / predict_seconds,
    "row_microseconds": row_microseconds,
    "accuracy": metrics.accuracy_score(y_test, proba.argmax(axis=1)),
    "roc_auc": auc,
    "log_loss": metrics.log_loss(y_test, np.clip(proba, 1e-15, 1)),
    "fit_peak_mb": fit_peak / 1024,
}))
