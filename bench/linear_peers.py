#!/usr/bin/python3
"""The peers' side of bench/linear.sh: liblinear and scikit-learn on the rows Lathe fits.

usage: linear_peers.py TRAIN.csv TEST.csv TARGET WORKDIR RUNS

Standardizes the features with the training rows' mean and population
standard deviation (what lathe_linear_bench does), then:

  scikit-learn  LogisticRegression(C=1, lbfgs, max_iter=1000), fit timed in
                process, median of RUNS;
  liblinear     `liblinear-train -s 0 -c 1 -B 1` (L2 logistic regression,
                trust-region Newton, its default eps 0.01; -B 1 adds the
                intercept as a constant feature, which liblinear regularizes)
                on the same rows written as LibSVM text in WORKDIR, median of
                RUNS wall times, which include parsing the text. Its training
                alone is timed by calling train() of the same library
                (Debian's liblinear4, through ctypes) on the same rows in
                memory. With more than two classes -s 0 trains one-vs-rest,
                not multinomial. The same again at eps 1e-4 ("converged"):
                liblinear's default stops early, at a point whose test log
                loss differs from its optimum's by chance, either way.

Prints one JSON object with times, peak memory (liblinear), test log loss
(probabilities clipped to [1e-15, 1 - 1e-15]) and accuracy.
"""
import ctypes
import json
import os
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

warnings.simplefilter("ignore")


def load(train_path, test_path, target):
    train, test = pd.read_csv(train_path), pd.read_csv(test_path)
    y_train, y_test = train.pop(target), test.pop(target)
    classes = sorted(y_train.unique())
    index = {label: k for k, label in enumerate(classes)}
    x_train, x_test = train.to_numpy(dtype=float), test[train.columns].to_numpy(dtype=float)
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    std[std == 0] = 1.0
    return ((x_train - mean) / std, y_train.map(index).to_numpy(), (x_test - mean) / std,
            y_test.map(index).to_numpy(), len(classes))


def scores(p, y):
    p = np.clip(p, 1e-15, 1 - 1e-15)
    return float(-np.mean(np.log(p[np.arange(len(y)), y]))), float(np.mean(p.argmax(axis=1) == y))


def write_libsvm(path, x, y):
    fmt = ["%d"] + [f"{j + 1}:%.9g" for j in range(x.shape[1])]
    np.savetxt(path, np.column_stack([y, x]), fmt=fmt, delimiter=" ")


def timed(command):
    """Wall seconds and peak resident KiB of a command."""
    start = time.perf_counter()
    out = subprocess.run(["/usr/bin/time", "-f", "%M"] + command, capture_output=True, text=True,
                         check=True)
    return time.perf_counter() - start, int(out.stderr.strip().splitlines()[-1])


class Problem(ctypes.Structure):
    _fields_ = [("l", ctypes.c_int), ("n", ctypes.c_int), ("y", ctypes.POINTER(ctypes.c_double)),
                ("x", ctypes.POINTER(ctypes.c_void_p)), ("bias", ctypes.c_double)]


class Parameter(ctypes.Structure):  # liblinear 2.3's struct parameter
    _fields_ = [("solver_type", ctypes.c_int), ("eps", ctypes.c_double), ("C", ctypes.c_double),
                ("nr_weight", ctypes.c_int), ("weight_label", ctypes.POINTER(ctypes.c_int)),
                ("weight", ctypes.POINTER(ctypes.c_double)), ("p", ctypes.c_double),
                ("init_sol", ctypes.POINTER(ctypes.c_double))]


def liblinear_train_seconds(x, y, runs, eps):
    """Median seconds of liblinear's train() alone, -s 0 -c 1 -B 1 -e EPS, on rows in memory."""
    lib = ctypes.CDLL("liblinear.so.4")
    lib.train.restype = ctypes.c_void_p
    lib.check_parameter.restype = ctypes.c_char_p
    lib.free_and_destroy_model.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
    quiet = ctypes.CFUNCTYPE(None, ctypes.c_char_p)(lambda text: None)
    lib.set_print_string_function(quiet)
    n, d = x.shape
    node = np.dtype([("index", np.int32), ("value", np.float64)], align=True)
    nodes = np.zeros((n, d + 2), dtype=node)  # features, the bias feature, the -1 terminator
    nodes["index"][:, :d] = np.arange(1, d + 1)
    nodes["value"][:, :d] = x
    nodes["index"][:, d], nodes["value"][:, d], nodes["index"][:, d + 1] = d + 1, 1.0, -1
    rows = (nodes.ctypes.data + np.arange(n, dtype=np.uint64) * (d + 2) * node.itemsize)
    labels = np.ascontiguousarray(y, dtype=np.float64)
    problem = Problem(n, d + 1, labels.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
                      rows.ctypes.data_as(ctypes.POINTER(ctypes.c_void_p)), 1.0)
    parameter = Parameter(0, eps, 1.0, 0, None, None, 0.1, None)
    problem_error = lib.check_parameter(ctypes.byref(problem), ctypes.byref(parameter))
    if problem_error:
        raise RuntimeError(problem_error.decode())
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        model = ctypes.c_void_p(lib.train(ctypes.byref(problem), ctypes.byref(parameter)))
        times.append(time.perf_counter() - start)
        lib.free_and_destroy_model(ctypes.byref(model))
    return statistics.median(times)


def liblinear(x_train, y_train, x_test, y_test, n_classes, work, runs, eps=0.01, prefix="liblinear"):
    train_file, test_file = os.path.join(work, "train.svm"), os.path.join(work, "test.svm")
    model, out = os.path.join(work, "model"), os.path.join(work, "predictions")
    write_libsvm(train_file, x_train, y_train)
    write_libsvm(test_file, x_test, y_test)
    command = ["liblinear-train", "-s", "0", "-c", "1", "-B", "1", "-e", str(eps), "-q",
               train_file, model]
    total = [timed(command) for _ in range(runs)]
    subprocess.run(["liblinear-predict", "-b", "1", "-q", test_file, model, out], check=True)
    with open(out) as f:
        labels = [int(v) for v in f.readline().split()[1:]]
        p = np.loadtxt(f, ndmin=2)[:, 1:]
    probabilities = np.zeros((len(y_test), n_classes))
    probabilities[:, labels] = p
    log_loss, accuracy = scores(probabilities, y_test)
    return {f"{prefix}_seconds": statistics.median(t for t, _ in total),
            f"{prefix}_train_seconds": liblinear_train_seconds(x_train, y_train, runs, eps),
            f"{prefix}_peak_mb": max(kb for _, kb in total) / 1024,
            f"{prefix}_log_loss": log_loss, f"{prefix}_accuracy": accuracy}


def sklearn(x_train, y_train, x_test, y_test, runs):
    times = []
    for _ in range(runs):
        model = LogisticRegression(C=1.0, max_iter=1000)
        start = time.perf_counter()
        model.fit(x_train, y_train)
        times.append(time.perf_counter() - start)
    log_loss, accuracy = scores(model.predict_proba(x_test), y_test)
    return {"sklearn_seconds": statistics.median(times), "sklearn_log_loss": log_loss,
            "sklearn_accuracy": accuracy, "sklearn_iterations": int(np.max(model.n_iter_))}


def main():
    train_path, test_path, target, work, runs = sys.argv[1:6]
    runs = int(runs)
    x_train, y_train, x_test, y_test, n_classes = load(train_path, test_path, target)
    result = sklearn(x_train, y_train, x_test, y_test, runs)
    result.update(liblinear(x_train, y_train, x_test, y_test, n_classes, work, runs))
    result.update(liblinear(x_train, y_train, x_test, y_test, n_classes, work, runs, 1e-4,
                            "liblinear_converged"))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
