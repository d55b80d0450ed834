#!/usr/bin/python3
"""Checks Lathe's metrics against scikit-learn 1.2 on random cases.

Generates seeded random cases (binary and 3-6 class problems with 1-200
rows, probabilities rounded to 1 or 2 decimals so scores tie, single-class
y_true, classes missing from y_true or y_pred, sample weights with zeros on
some; regression cases with ties, constant targets and zeros in y_true),
writes them to a temporary file, has metrics_driver score them with
Lathe, and compares every number with sklearn.metrics: equal to a relative
1e-9 (absolute 1e-12 for values that are zero up to rounding), and NaN
exactly where scikit-learn raises or returns NaN.

The same run checks k-fold splits where scikit-learn's result does not depend
on its random draw: TimeSeriesSplit's test blocks and GroupKFold's groups
(with distinct group sizes) exactly, StratifiedKFold's count of each class in
each fold, KFold's fold sizes.

Multiclass pr_auc and brier have no scikit-learn 1.2 function: pr_auc is
average_precision_score over label_binarize(y_true, classes=range(C)) with
average="macro" (one class against the rest), brier the mean over rows of
the summed squared one-hot error.

Usage: test_metrics_sklearn.py PATH_TO_LATHE PATH_TO_METRICS_DRIVER   (from tests/)
"""
import math
import multiprocessing
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
from sklearn import metrics, model_selection
from sklearn.preprocessing import label_binarize

DRIVER = sys.argv[2]
SEED = 20240611
N_CLASSIFICATION = 1000
N_REGRESSION = 200
N_KFOLD = 120


def close(got, want):
    if math.isnan(want) or math.isnan(got):
        return math.isnan(want) and math.isnan(got)
    return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12)


class Outcome:
    """The checks of one case and the failed ones, described."""

    def __init__(self, case):
        self.case = case
        self.checks = 0
        self.failures = []

    def check(self, name, got, want):
        self.checks += 1
        if not close(got, want):
            self.fail(f"{name} lathe {got!r} sklearn {want!r}")

    def fail(self, what):
        case = self.case
        self.failures.append(f"case {case['id']} ({case['kind']}, n={case['n']}): {what}")


# ---- generating cases ------------------------------------------------------

def some_rows(rng):
    return int(rng.randint(1, 6)) if rng.rand() < 0.15 else int(rng.randint(1, 201))


def some_weights(rng, n):
    """None, dyadic weights with zeros (sums are exact) or any positive weights."""
    mode = rng.rand()
    if mode < 0.5:
        return None
    if mode < 0.75:
        weights = rng.choice([0.0, 0.5, 1.0, 1.5, 2.0, 3.0], n)
    else:
        weights = rng.uniform(0.05, 5.0, n)
    if weights.sum() == 0:
        weights[0] = 1.0
    return weights


def exact_weights(weights):
    return weights is None or bool(np.all(weights * 2 == np.round(weights * 2)))


def some_classes(rng, n, n_classes):
    """Class labels: all classes, a subset (some absent), or a single class."""
    mode = rng.rand()
    if mode < 0.1:
        return np.full(n, rng.randint(n_classes))
    if mode < 0.3:
        subset = rng.choice(n_classes, size=rng.randint(1, n_classes), replace=False)
        return rng.choice(subset, n)
    return rng.randint(0, n_classes, n)


def some_probabilities(rng, y, n_classes):
    """Rows summing to 1, leaning to the true class; often rounded so scores tie."""
    alpha = np.full((len(y), n_classes), 0.6)
    alpha[np.arange(len(y)), y] += rng.uniform(0, 3)
    rows = np.array([rng.dirichlet(a) for a in alpha])
    decimals = rng.choice([0, 1, 2])
    if decimals == 0:
        return rows
    scale = 10 ** decimals
    counts = np.array([rng.multinomial(scale, row) for row in rows])
    return counts / scale


def some_predictions(rng, y, proba, n_classes):
    mode = rng.rand()
    if mode < 0.4 and proba is not None:
        return None  # Lathe and the oracle take the argmax of proba
    if mode < 0.7:
        return some_classes(rng, len(y), n_classes)
    noisy = y.copy()
    flip = rng.rand(len(y)) < 0.3
    noisy[flip] = rng.randint(0, n_classes, flip.sum())
    return noisy


def classification_case(rng, case_id):
    n_classes = 2 if rng.rand() < 0.4 else int(rng.randint(3, 7))
    n = some_rows(rng)
    y = some_classes(rng, n, n_classes)
    proba = some_probabilities(rng, y, n_classes) if rng.rand() < 0.85 else None
    return {"id": case_id, "kind": "classification", "n": n, "n_classes": n_classes, "y": y,
            "pred": some_predictions(rng, y, proba, n_classes), "proba": proba,
            "weights": some_weights(rng, n)}


def regression_case(rng, case_id):
    n = some_rows(rng)
    weights = some_weights(rng, n)
    mode = rng.rand()
    if mode < 0.3:  # multiples of 1/4: ties in errors, exact sums
        y = rng.randint(-20, 21, n) / 4.0
        pred = y + rng.randint(-8, 9, n) / 4.0
    else:
        y = rng.normal(0, 10, n)
        pred = y + rng.normal(0, 3, n)
    # A constant target only with exactly summable weights: otherwise numpy's weighted mean
    # of a constant is off by an ulp and scikit-learn's R^2 becomes a rounding artefact
    # (-5e30 where its documented value is 0); Lathe returns the documented value.
    if rng.rand() < 0.15 and exact_weights(weights):
        y = np.full(n, float(rng.randint(-4, 5)) / 2.0)
    if rng.rand() < 0.1:  # constant error: explained variance 1
        pred = y + 0.5
    if rng.rand() < 0.1:
        pred = y.copy()
    if rng.rand() < 0.2:  # zeros in y_true stress mape's epsilon
        y[rng.rand(n) < 0.3] = 0.0
    return {"id": case_id, "kind": "regression", "n": n, "y": y, "pred": pred,
            "weights": weights}


def kfold_case(rng, case_id):
    split = ("random", "stratified", "group", "time")[case_id % 4]
    n_folds = int(rng.randint(2, 8))
    keys = None
    if split == "stratified":  # labels need not be dense; every class fills every fold
        labels = rng.choice(100, rng.randint(2, 6), replace=False)
        keys = rng.permutation(np.repeat(labels, rng.randint(n_folds, 60, len(labels))))
    elif split == "group":  # distinct sizes: GroupKFold's order of groups is then fixed
        n_groups = int(rng.randint(n_folds, n_folds + 10))
        sizes = rng.choice(np.arange(1, 30), n_groups, replace=False)
        keys = rng.permutation(np.repeat(rng.choice(10000, n_groups, replace=False), sizes))
    elif split == "time":  # ties and negative times included
        n = int(rng.randint(n_folds + 1, 200))
        keys = rng.randint(-n, n // 2 + 1, n)
    n = len(keys) if keys is not None else int(rng.randint(n_folds, 200))
    return {"id": case_id, "kind": "kfold", "split": split, "n": n, "n_folds": n_folds,
            "keys": keys, "seed": int(rng.randint(0, 2**31))}


def numbers(values):
    if values is None:
        return "-"
    return " ".join(repr(float(v)) for v in np.ravel(values))


def write_case(out, case):
    if case["kind"] == "kfold":
        out.write(f"kfold {case['split']} {case['n']} {case['n_folds']} {case['seed']}\n")
        keys = case["keys"]
        out.write(("-" if keys is None else " ".join(str(int(v)) for v in keys)) + "\n")
        return
    if case["kind"] == "classification":
        out.write(f"classification {case['n']} {case['n_classes']}\n")
        out.write(" ".join(str(int(v)) for v in case["y"]) + "\n")
        pred = case["pred"]
        out.write(("-" if pred is None else " ".join(str(int(v)) for v in pred)) + "\n")
        out.write(numbers(case["proba"]) + "\n")
    else:
        out.write(f"regression {case['n']}\n")
        out.write(numbers(case["y"]) + "\n")
        out.write(numbers(case["pred"]) + "\n")
    out.write(numbers(case["weights"]) + "\n")


# ---- the oracle ------------------------------------------------------------

def or_nan(fn):
    """scikit-learn's value, or NaN where it raises: Lathe reports those as undefined."""
    try:
        return float(fn())
    except ValueError:
        return math.nan


def expected_classification(case):
    y, w, n_classes = case["y"], case["weights"], case["n_classes"]
    proba = case["proba"]
    pred = case["pred"] if case["pred"] is not None else proba.argmax(axis=1)
    labels = list(range(n_classes))
    want = {
        "accuracy": metrics.accuracy_score(y, pred, sample_weight=w),
        "balanced_accuracy": metrics.balanced_accuracy_score(y, pred, sample_weight=w),
        "mcc": metrics.matthews_corrcoef(y, pred, sample_weight=w),
        "cohen_kappa": metrics.cohen_kappa_score(y, pred, sample_weight=w),
    }
    for average in ("macro", "micro", "weighted"):
        p, r, f, _ = metrics.precision_recall_fscore_support(y, pred, average=average,
                                                             sample_weight=w)
        want[f"precision_{average}"], want[f"recall_{average}"], want[f"f1_{average}"] = p, r, f
    if proba is not None:
        want.update(expected_scores(y, proba, w, n_classes, labels))
    matrix = metrics.confusion_matrix(y, pred, labels=labels, sample_weight=w)
    per_class = metrics.precision_recall_fscore_support(y, pred, labels=labels, average=None,
                                                        sample_weight=w)
    return want, matrix.ravel().astype(float), np.array(per_class, dtype=float).T


def expected_scores(y, proba, w, n_classes, labels):
    if n_classes == 2:
        roc = or_nan(lambda: metrics.roc_auc_score(y, proba[:, 1], sample_weight=w))
        pr = metrics.average_precision_score(y, proba[:, 1], sample_weight=w)
        brier = metrics.brier_score_loss(y, proba[:, 1], sample_weight=w)
    else:
        roc = or_nan(lambda: metrics.roc_auc_score(y, proba, multi_class="ovr", average="macro",
                                                   sample_weight=w))
        onehot = label_binarize(y, classes=labels)
        pr = metrics.average_precision_score(onehot, proba, average="macro", sample_weight=w)
        brier = np.average(((onehot - proba) ** 2).sum(axis=1), weights=w)
    return {"roc_auc": roc, "pr_auc": pr, "brier": brier,
            "log_loss": metrics.log_loss(y, proba, labels=labels, sample_weight=w)}


def expected_regression(case):
    y, pred, w = case["y"], case["pred"], case["weights"]
    return {
        "mse": metrics.mean_squared_error(y, pred, sample_weight=w),
        "rmse": metrics.mean_squared_error(y, pred, sample_weight=w, squared=False),
        "mae": metrics.mean_absolute_error(y, pred, sample_weight=w),
        "median_ae": metrics.median_absolute_error(y, pred, sample_weight=w),
        "mape": metrics.mean_absolute_percentage_error(y, pred, sample_weight=w),
        "r2": metrics.r2_score(y, pred, sample_weight=w),
        "explained_variance": metrics.explained_variance_score(y, pred, sample_weight=w),
    }


def class_counts(labels):
    return {int(label): int(count) for label, count in zip(*np.unique(labels, return_counts=True))}


def expected_test_folds(case):
    """The fold testing each row per scikit-learn, or for stratified and random splits,
    whose rows depend on the random draw, the counts that do not."""
    n, n_folds, keys = case["n"], case["n_folds"], case["keys"]
    rows = np.zeros((n, 1))
    if case["split"] == "random":
        folds = model_selection.KFold(n_folds, shuffle=True, random_state=0).split(rows)
        return [len(test) for _, test in folds]
    if case["split"] == "stratified":
        folds = model_selection.StratifiedKFold(n_folds, shuffle=True, random_state=0)
        return [class_counts(keys[test]) for _, test in folds.split(rows, keys)]
    test_fold = np.full(n, -1)
    if case["split"] == "group":
        for f, (_, test) in enumerate(model_selection.GroupKFold(n_folds).split(rows, None, keys)):
            test_fold[test] = f
    else:
        order = np.argsort(keys, kind="stable")  # by time, ties by row
        for f, (_, test) in enumerate(model_selection.TimeSeriesSplit(n_folds).split(rows)):
            test_fold[order[test]] = f
    return test_fold.tolist()


def compare_kfold(outcome, case, got):
    test_fold = np.array([int(v) for v in got["test_fold"].split(",")])
    want = expected_test_folds(case)
    if case["split"] == "random":
        got_sizes = [int((test_fold == f).sum()) for f in range(case["n_folds"])]
        outcome.checks += 1
        if got_sizes != want:
            outcome.fail(f"fold sizes {got_sizes}, KFold {want}")
    elif case["split"] == "stratified":
        got_counts = [class_counts(case["keys"][test_fold == f]) for f in range(case["n_folds"])]
        outcome.checks += 1
        if got_counts != want:
            outcome.fail(f"class counts per fold {got_counts}, StratifiedKFold {want}")
    else:
        outcome.checks += 1
        if test_fold.tolist() != want:
            outcome.fail(f"test folds {test_fold.tolist()}, scikit-learn {want}")


# ---- comparing -------------------------------------------------------------

def parse_line(line):
    return dict(item.split("=", 1) for item in line.split(" "))


def compare(case_and_line):
    case, line = case_and_line
    outcome = Outcome(case)
    if line.startswith("error="):
        outcome.checks += 1
        outcome.fail("lathe refused it: " + line[6:])
        return outcome
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare_metrics(outcome, case, parse_line(line))
    return outcome


def compare_metrics(outcome, case, got):
    if case["kind"] == "kfold":
        compare_kfold(outcome, case, got)
        return
    if case["kind"] == "classification":
        want, matrix, per_class = expected_classification(case)
        for i, value in enumerate(float(v) for v in got.pop("confusion").split(",")):
            outcome.check(f"confusion[{i}]", value, matrix[i])
        for k, scores in enumerate(got.pop("per_class").split(";")):
            for name, value, expected in zip(("precision", "recall", "f1", "support"),
                                             scores.split(","), per_class[k]):
                outcome.check(f"{name}[class {k}]", float(value), expected)
    else:
        want = expected_regression(case)
    if set(got) != set(want):
        outcome.checks += 1
        outcome.fail(f"lathe reports {sorted(got)}, expected {sorted(want)}")
    for name in want:
        if name in got:
            outcome.check(name, float(got[name]), float(want[name]))


def edge_counts(cases):
    """How often each edge case occurs, so a change to the generator cannot quietly drop one."""
    counts = dict.fromkeys(["one row", "single-class y_true", "class absent from y_true",
                            "class absent from y_pred", "tied scores", "zero weights"], 0)
    for case in cases:
        counts["one row"] += case["n"] == 1
        weights = case.get("weights")
        counts["zero weights"] += weights is not None and bool((weights == 0).any())
        if case["kind"] != "classification":
            continue
        n_classes, proba = case["n_classes"], case["proba"]
        pred = case["pred"] if case["pred"] is not None else proba.argmax(axis=1)
        counts["single-class y_true"] += len(set(case["y"])) == 1
        counts["class absent from y_true"] += len(set(case["y"])) < n_classes
        counts["class absent from y_pred"] += len(set(pred)) < n_classes
        counts["tied scores"] += proba is not None and len(np.unique(proba)) < proba.size
    return counts


def main():
    rng = np.random.RandomState(SEED)
    cases = [classification_case(rng, i) for i in range(N_CLASSIFICATION)]
    cases += [regression_case(rng, N_CLASSIFICATION + i) for i in range(N_REGRESSION)]
    cases += [kfold_case(rng, len(cases) + i) for i in range(N_KFOLD)]
    rare = {name: count for name, count in edge_counts(cases).items() if count < 20}
    if rare:
        print(f"too few edge cases generated: {rare}")
        print("0 passed, 1 failed")
        return 1
    with tempfile.TemporaryDirectory() as work:
        path = os.path.join(work, "cases.txt")
        with open(path, "w") as out:
            for case in cases:
                write_case(out, case)
        lines = subprocess.run([DRIVER, path], check=True, capture_output=True,
                               text=True).stdout.splitlines()
    if len(lines) != len(cases):
        print(f"driver printed {len(lines)} lines for {len(cases)} cases")
        print("0 passed, 1 failed")
        return 1
    # scikit-learn's input checks dominate the run time: spread the cases over the cores
    with multiprocessing.Pool(min(2, os.cpu_count() or 1)) as pool:
        outcomes = pool.map(compare, zip(cases, lines), chunksize=50)
    checks = sum(outcome.checks for outcome in outcomes)
    failures = [failure for outcome in outcomes for failure in outcome.failures]
    for failure in failures[:40]:
        print("FAIL", failure)
    print(f"{len(cases)} cases")
    print(f"{checks - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
