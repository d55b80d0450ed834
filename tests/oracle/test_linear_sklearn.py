#!/usr/bin/python3
"""Checks Lathe's linear families against scikit-learn 1.2 (Debian's python3-sklearn).

Each case writes standardized data to CSV (random data from a seeded numpy
generator, and tests/data/spam.csv), fits it with linear_driver and with the
scikit-learn estimator that minimizes the same objective, both run to tight
tolerances, and compares the weights, intercepts and predictions:

  logistic     LogisticRegression: newton-cg and lbfgs for l2/none (lbfgs also
               by objective value: Lathe must reach at least as low), saga for
               l1/elasticnet
  linear       LinearRegression          ridge       Ridge(cholesky)
  lasso        Lasso                     elasticnet  ElasticNet
  linear_svm   LinearSVC (liblinear); Lathe's scores are the sigmoid/softmax
               of the decision values, compared as such

Tolerances (absolute, on data with unit-variance features, scaled by the
largest weight when it exceeds 1): weights and intercepts 1e-4 against
newton-cg and LinearSVC, 5e-4 against saga, 3e-3 against lbfgs (scikit-learn
stops lbfgs on scipy's relative-progress test, which leaves it that far off
on these problems; the objective check covers it), 1e-6 for least squares;
predicted probabilities 1e-5 (1e-3 against lbfgs).

Usage: test_linear_sklearn.py PATH_TO_LATHE PATH_TO_LINEAR_DRIVER   (run from tests/)
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, LogisticRegression, Ridge
from sklearn.svm import LinearSVC

# Convergence and line-search chatter from the references at tight tolerances; the
# comparisons below judge the results.
warnings.simplefilter("ignore")

DRIVER = sys.argv[2]
TMP = tempfile.mkdtemp(prefix="lathe-linear-")
passed = 0
failures = []


def check(ok, what):
    global passed
    if ok:
        passed += 1
    else:
        failures.append(what)
        print("FAIL", what)


def standardize(x):
    return (x - x.mean(axis=0)) / x.std(axis=0)


def write_csv(name, x, y, w=None):
    path = os.path.join(TMP, name)
    columns = {f"x{j}": x[:, j] for j in range(x.shape[1])}
    columns["y"] = y
    if w is not None:
        columns["w"] = w
    pd.DataFrame(columns).to_csv(path, index=False, float_format="%.17g")
    return path


def run_driver(family, path, params, classes=0, sparse=False):
    args = [DRIVER, family, path] + list(params)
    if classes:
        args += ["--classes", str(classes)]
    if sparse:
        args.append("--sparse")
    out = subprocess.run(args, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"linear_driver {' '.join(args[1:])}: {out.stderr.strip()}")
    return json.loads(out.stdout)


def random_classes(seed, n, d, k, sparsity=0.0):
    rng = np.random.default_rng(seed)
    x = standardize(rng.normal(size=(n, d)) @ (np.eye(d) + 0.3 * rng.normal(size=(d, d))))
    if sparsity:
        x[rng.uniform(size=x.shape) < sparsity] = 0.0
    if k == 2:
        logits = x @ rng.normal(size=d) + 0.5
        y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logits))).astype(float)
    else:
        scores = x @ rng.normal(size=(d, k)) + rng.gumbel(size=(n, k))
        y = scores.argmax(axis=1).astype(float)
    return x, y, rng.uniform(0.5, 2.0, size=n)


def random_values(seed, n, d, sparsity=0.0):
    rng = np.random.default_rng(seed)
    x = standardize(rng.normal(size=(n, d)) @ (np.eye(d) + 0.3 * rng.normal(size=(d, d))))
    if sparsity:
        x[rng.uniform(size=x.shape) < sparsity] = 0.0
    beta = rng.normal(size=d) * (rng.uniform(size=d) < 0.6)
    return x, x @ beta + 3.0 + 0.5 * rng.normal(size=n), rng.uniform(0.5, 2.0, size=n)


def spam():
    frame = pd.read_csv("data/spam.csv")
    y = (frame.pop("type") == "spam").astype(float).to_numpy()
    return standardize(frame.to_numpy(dtype=float)), y


def compare(what, got, coef, intercept, predict, weight_tol, predict_tol=1e-5):
    coef = np.atleast_2d(coef)
    intercept = np.atleast_1d(intercept)
    got_coef, got_intercept = np.array(got["coef"]), np.array(got["intercept"][0])
    scale = max(1.0, np.abs(coef).max())
    coef_diff = np.abs(got_coef - coef).max() / scale
    intercept_diff = np.abs(got_intercept - intercept).max() / scale
    predict_diff = np.abs(np.array(got["predict"]) - predict).max()
    check(got_coef.shape == coef.shape, f"{what}: weights shape {got_coef.shape} vs {coef.shape}")
    check(coef_diff <= weight_tol, f"{what}: weights differ by {coef_diff:.3g} > {weight_tol}")
    check(intercept_diff <= weight_tol,
          f"{what}: intercepts differ by {intercept_diff:.3g} > {weight_tol}")
    check(predict_diff <= predict_tol,
          f"{what}: predictions differ by {predict_diff:.3g} > {predict_tol}")


def softmax_scores(decision):
    decision = np.atleast_2d(decision.T).T
    if decision.shape[1] == 1:
        p = 1 / (1 + np.exp(-decision[:, 0]))
        return np.column_stack([1 - p, p])
    e = np.exp(decision - decision.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def logistic_objective(x, y, k, coef, intercept, weights, C, penalty="l2", l1_ratio=0.5):
    """scikit-learn's objective: C * sum of weighted log losses plus the penalty."""
    coef = np.atleast_2d(coef)
    scores = x @ coef.T + intercept
    if k == 2:
        margin = np.where(y == 1, scores[:, 0], -scores[:, 0])
        losses = np.logaddexp(0, -margin)
    else:
        top = scores.max(axis=1, keepdims=True)
        log_sum = top[:, 0] + np.log(np.exp(scores - top).sum(axis=1))
        losses = log_sum - scores[np.arange(len(y)), y.astype(int)]
    l2 = {"l2": 1.0, "elasticnet": 1 - l1_ratio}.get(penalty, 0.0)
    l1 = {"l1": 1.0, "elasticnet": l1_ratio}.get(penalty, 0.0)
    return C * np.sum(weights * losses) + 0.5 * l2 * np.sum(coef**2) + l1 * np.abs(coef).sum()


def logistic_case(what, x, y, k, params, options, weights=None, sparse=False):
    """Lathe against LogisticRegression(**options) with the solver scikit-learn pairs with it.

    For l2/none the precise reference is newton-cg (it stops on the gradient
    alone); lbfgs, which scikit-learn also stops on relative progress of the
    objective (scipy's factr), is checked to be no closer to the optimum than
    Lathe and to agree within its own precision.
    """
    path = write_csv(what + ".csv", x, y, weights)
    got = run_driver("logistic", path, params + ["tol=1e-8", "max_iter=10000"], k, sparse)
    check(got["converged"], f"{what}: did not converge")
    penalty = options.get("penalty", "l2")
    if penalty in ("l1", "elasticnet"):
        sk = LogisticRegression(solver="saga", tol=1e-12, max_iter=200000, **options)
        sk.fit(x, y, sample_weight=weights)
        compare(what + " (saga)", got, sk.coef_, sk.intercept_, sk.predict_proba(x), 5e-4)
        return
    precise = LogisticRegression(solver="newton-cg", tol=1e-8, max_iter=200, **options)
    precise.fit(x, y, sample_weight=weights)
    compare(what + " (newton-cg)", got, precise.coef_, precise.intercept_, precise.predict_proba(x),
            1e-4)
    lbfgs = LogisticRegression(solver="lbfgs", tol=1e-10, max_iter=100000, **options)
    lbfgs.fit(x, y, sample_weight=weights)
    compare(what + " (lbfgs)", got, lbfgs.coef_, lbfgs.intercept_, lbfgs.predict_proba(x), 3e-3,
            1e-3)
    s = np.ones(len(y)) if weights is None else weights.copy()
    class_weight = options.get("class_weight")
    if class_weight == "balanced":
        counts = np.bincount(y.astype(int), minlength=k)
        s *= (len(y) / (k * counts))[y.astype(int)]
    elif class_weight:
        s *= np.array([class_weight.get(c, 1.0) for c in range(k)])[y.astype(int)]
    C = options.get("C", 1.0)
    mine = logistic_objective(x, y, k, got["coef"], np.array(got["intercept"][0]), s, C, penalty)
    theirs = logistic_objective(x, y, k, lbfgs.coef_, lbfgs.intercept_, s, C, penalty)
    check(mine <= theirs * (1 + 1e-12),
          f"{what}: objective {mine!r} above scikit-learn lbfgs's {theirs!r}")


def logistic_cases():
    x, y, w = random_classes(1, 600, 8, 2)
    logistic_case("logistic_binary_l2", x, y, 2, ["C=1"], dict(C=1))
    logistic_case("logistic_binary_l2_weighted_balanced", x, y, 2,
                  ["C=0.1", "class_weight=balanced"], dict(C=0.1, class_weight="balanced"),
                  weights=w)
    logistic_case("logistic_binary_no_intercept", x, y, 2, ["C=0.5", "fit_intercept=false"],
                  dict(C=0.5, fit_intercept=False))
    logistic_case("logistic_binary_none", x, y, 2, ["penalty=none"], dict(penalty=None))
    x, y, w = random_classes(2, 700, 6, 4)
    logistic_case("logistic_multinomial_l2", x, y, 4, ["C=0.3"], dict(C=0.3))
    logistic_case("logistic_multinomial_class_weight", x, y, 4, ["class_weight=0:2,3:0.5"],
                  dict(class_weight={0: 2, 3: 0.5}), weights=w)
    x, y, _ = random_classes(3, 400, 8, 2)
    logistic_case("logistic_binary_l1", x, y, 2, ["penalty=l1", "C=0.2"],
                  dict(penalty="l1", C=0.2))
    x, y, _ = random_classes(4, 400, 6, 3)
    logistic_case("logistic_multinomial_elasticnet", x, y, 3,
                  ["penalty=elasticnet", "C=0.5", "l1_ratio=0.4"],
                  dict(penalty="elasticnet", C=0.5, l1_ratio=0.4))
    x, y, _ = random_classes(5, 500, 12, 3, sparsity=0.7)
    logistic_case("logistic_multinomial_sparse", x, y, 3, ["C=2"], dict(C=2), sparse=True)
    x, y = spam()
    logistic_case("logistic_spam_l2", x, y, 2, ["C=1"], dict(C=1))


def regression_case(what, family, x, y, params, sk, weights=None, sparse=False, tol=1e-6):
    path = write_csv(what + ".csv", x, y, weights)
    got = run_driver(family, path, params, 0, sparse)
    sk.fit(x, y, sample_weight=weights)
    compare(what, got, sk.coef_, sk.intercept_, sk.predict(x)[:, None], tol, tol)
    check(got["converged"], f"{what}: did not converge")


def regression_cases():
    x, y, w = random_values(6, 300, 10)
    regression_case("linear_weighted", "linear", x, y, [], LinearRegression(), weights=w)
    regression_case("ridge_cholesky", "ridge", x, y, ["alpha=3"],
                    Ridge(alpha=3, solver="cholesky"), weights=w)
    regression_case("ridge_cg", "ridge", x, y, ["alpha=3", "solver=cg", "tol=1e-12"],
                    Ridge(alpha=3, solver="cholesky"), weights=w)
    regression_case("ridge_no_intercept", "ridge", x, y, ["alpha=0.5", "fit_intercept=false"],
                    Ridge(alpha=0.5, fit_intercept=False))
    tight = dict(tol=1e-12, max_iter=100000)
    regression_case("lasso_gram", "lasso", x, y, ["alpha=0.05", "tol=1e-12"],
                    Lasso(alpha=0.05, **tight))
    regression_case("lasso_columns_weighted", "lasso", x, y,
                    ["alpha=0.1", "tol=1e-12", "precompute=false"], Lasso(alpha=0.1, **tight),
                    weights=w)
    regression_case("elasticnet_weighted", "elasticnet", x, y,
                    ["alpha=0.1", "l1_ratio=0.3", "tol=1e-12"],
                    ElasticNet(alpha=0.1, l1_ratio=0.3, **tight), weights=w)
    x, y, w = random_values(7, 400, 15, sparsity=0.8)
    regression_case("lasso_sparse", "lasso", x, y, ["alpha=0.02", "tol=1e-12", "precompute=false"],
                    Lasso(alpha=0.02, **tight), sparse=True)
    regression_case("ridge_sparse", "ridge", x, y, ["alpha=2"], Ridge(alpha=2, solver="cholesky"),
                    weights=w, sparse=True)


def svm_case(what, x, y, k, params, sk):
    path = write_csv(what + ".csv", x, y)
    tol = "tol=1e-7" if "penalty=l1" in params else "tol=1e-8"
    got = run_driver("linear_svm", path, params + [tol, "max_iter=100000"], k)
    sk.fit(x, y)
    compare(what, got, sk.coef_, sk.intercept_, softmax_scores(sk.decision_function(x)), 1e-4)
    check(got["converged"], f"{what}: did not converge")


def svm_cases():
    tight = dict(tol=1e-8, max_iter=100000)
    x, y, _ = random_classes(8, 500, 8, 2)
    svm_case("svm_squared_hinge", x, y, 2, ["C=0.5"], LinearSVC(C=0.5, **tight))
    svm_case("svm_hinge", x, y, 2, ["C=0.1", "loss=hinge"], LinearSVC(C=0.1, loss="hinge", **tight))
    svm_case("svm_intercept_scaling", x, y, 2, ["C=1", "intercept_scaling=10"],
             LinearSVC(C=1, intercept_scaling=10, **tight))
    svm_case("svm_l1", x, y, 2, ["C=0.2", "penalty=l1"],
             LinearSVC(C=0.2, penalty="l1", dual=False, **tight))
    x, y, _ = random_classes(9, 600, 6, 4)
    svm_case("svm_one_vs_rest", x, y, 4, ["C=0.3"], LinearSVC(C=0.3, **tight))
    x, y = spam()
    svm_case("svm_spam", x, y, 2, ["C=0.01"], LinearSVC(C=0.01, **tight))


def main():
    for group in (logistic_cases, regression_cases, svm_cases):
        try:
            group()
        except Exception as error:  # a crash counts as a failure, the rest still run
            check(False, f"{group.__name__}: {error}")
    shutil.rmtree(TMP, ignore_errors=True)
    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
