#!/usr/bin/python3
"""scikit-learn's RandomForest on one fixed split, for bench/forest.sh.

Usage: forest_peers.py TRAIN.csv TEST.csv TARGET TASK RUNS [N_JOBS]
TASK is binary, multiclass or regression. Prepares the data as
../shared/BENCHMARKS.md's sk_forest does (categories ordinal-encoded, missing
values as -1e9), fits RandomForestClassifier / RandomForestRegressor (100
trees, random_state 0) RUNS times and predicts the test rows RUNS times, and
prints one JSON line: median fit and predict seconds (wall), median fit CPU
seconds, and the test metrics. Loading and encoding are not timed.
"""
import json
import statistics
import sys
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.metrics import accuracy_score, mean_squared_error, roc_auc_score
from sklearn.preprocessing import LabelEncoder, OrdinalEncoder

warnings.filterwarnings("ignore")
train_path, test_path, target, task, runs = sys.argv[1:6]
runs = int(runs)
n_jobs = int(sys.argv[6]) if len(sys.argv) > 6 else 2

train, test = pd.read_csv(train_path), pd.read_csv(test_path)
y_train, y_test = train.pop(target), test.pop(target)
categorical = [c for c in train.columns if train[c].dtype == object]
numeric = [c for c in train.columns if c not in categorical]
encode = ColumnTransformer([
    ("n", "passthrough", numeric),
    ("c", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan), categorical)])
x_train = np.nan_to_num(np.asarray(encode.fit_transform(train), dtype=float), nan=-1e9)
x_test = np.nan_to_num(np.asarray(encode.transform(test), dtype=float), nan=-1e9)
regression = task == "regression"
if not regression:
    labels = LabelEncoder().fit(pd.concat([y_train, y_test]).astype(str))
    y_train, y_test = labels.transform(y_train.astype(str)), labels.transform(y_test.astype(str))

fit, fit_cpu, predict = [], [], []
for _ in range(runs):
    model = (RandomForestRegressor if regression else RandomForestClassifier)(
        n_estimators=100, n_jobs=n_jobs, random_state=0)
    start, start_cpu = time.perf_counter(), time.process_time()
    model.fit(x_train, y_train)
    fit.append(time.perf_counter() - start)
    fit_cpu.append(time.process_time() - start_cpu)
for _ in range(runs):
    start = time.perf_counter()
    out = model.predict(x_test) if regression else model.predict_proba(x_test)
    predict.append(time.perf_counter() - start)

result = {"fit_seconds": statistics.median(fit), "fit_cpu_seconds": statistics.median(fit_cpu),
          "predict_seconds": statistics.median(predict)}
if regression:
    result["rmse"] = mean_squared_error(y_test, out, squared=False)
else:
    result["accuracy"] = accuracy_score(y_test, out.argmax(axis=1))
    result["roc_auc"] = (roc_auc_score(y_test, out[:, 1]) if task == "binary" else
                         roc_auc_score(y_test, out, multi_class="ovr",
                                       labels=list(range(out.shape[1]))))
print(json.dumps(result))
