#!/usr/bin/python3
"""Checks Lathe's preprocessing pipeline against scikit-learn 1.2 on tests/data.

For each case prep_driver fits Lathe's pipeline on the training rows of a
file (some rows held out, sometimes a category left out so that it is
unknown at transform time) and prints the transform of every row;
scikit-learn fits the equivalent estimators on the same rows, read
independently with pandas, and transforms the same rows. Feature names must
match (Lathe's "color=red" is sklearn's "color_red") and every value must
agree to 1e-9, relative to the value's size when it is above 1 (1e-6 for
Yeo-Johnson and PCA, whose fits iterate).

Target encoding is not here: sklearn 1.2 has no TargetEncoder (it arrived
in 1.3); test_prep.c checks it by hand, out-of-fold behaviour included.

Usage: test_prep_sklearn.py PATH_TO_LATHE PATH_TO_PREP_DRIVER   (run from tests/)
"""
import io
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.feature_selection import (SelectFromModel, SelectKBest, VarianceThreshold, chi2,
                                       f_classif, f_regression)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Lasso, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (MinMaxScaler, OneHotEncoder, OrdinalEncoder, PowerTransformer,
                                   RobustScaler, StandardScaler)

DRIVER = sys.argv[2]
MISSING = ["", "NA", "N/A", "NaN", "null", "?"]
PIMA, DIAMONDS, INCOME = "data/pima_diabetes2.csv", "data/diamonds.csv", "data/income.csv"
DIAMOND_NUMBERS = ["carat", "depth", "table", "x", "y", "z"]
DIAMOND_CATEGORIES = ["cut", "color", "clarity"]
ROWS = {DIAMONDS: 8000}  # the first rows are plenty, and keep the test fast under ASan

passed = 0
failures = []
frames = {}


def load(path):
    if path not in frames:
        frames[path] = pd.read_csv(path, keep_default_na=False, na_values=MISSING,
                                   nrows=ROWS.get(path))
    return frames[path]


def lathe(path, options):
    if path in ROWS:
        options = dict(options, rows=ROWS[path])
    args = [DRIVER, path] + [f"{k}={v}" for k, v in options.items()]
    out = subprocess.run(args, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"prep_driver failed: {out.stderr.strip()}")
    table = pd.read_csv(io.StringIO(out.stdout), sep="\t", header=0, dtype=np.float64,
                        keep_default_na=False, quoting=3)
    return list(table.columns), table.to_numpy()


def training_rows(frame, options):
    keep = np.ones(len(frame), dtype=bool)
    holdout = int(options.get("holdout", 0))
    if holdout:
        keep &= np.arange(len(frame)) % holdout != 0
    if "exclude" in options:
        column, value = options["exclude"].split(":", 1)
        keep &= (frame[column] != value).to_numpy()
    if "target" in options:
        keep &= frame[options["target"]].notna().to_numpy()
    return keep


def sklearn_name(name):
    """Lathe's feature name as sklearn spells it."""
    if name.startswith("pca_"):
        return "pca" + name[4:]
    if name.endswith(".missing"):
        return "missingindicator_" + name[:-len(".missing")]
    if "=" in name:
        column, category = name.split("=", 1)
        return f"{column}_infrequent_sklearn" if category == "infrequent" else f"{column}_{category}"
    return name


def case(what, path, options, columns, estimator, tolerance=1e-9, same_order=True):
    global passed
    frame = load(path)
    rows = training_rows(frame, options)
    x = frame[columns]
    y = frame[options["target"]][rows] if "target" in options else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator.fit(x[rows], y)
        want = np.asarray(estimator.transform(x), dtype=np.float64)
        want_names = list(estimator.get_feature_names_out())
    try:
        names, got = lathe(path, dict(options, columns=",".join(columns)))
    except RuntimeError as e:
        failures.append(f"{what}: {e}")
        return
    got_names = [sklearn_name(n) for n in names]
    if sorted(got_names) != sorted(want_names) or (same_order and got_names != want_names):
        failures.append(f"{what}: features {got_names} vs sklearn {want_names}")
        return
    if got.shape != want.shape:
        failures.append(f"{what}: shape {got.shape} vs sklearn {want.shape}")
        return
    order = [want_names.index(n) for n in got_names]
    want = want[:, order]
    error = np.abs(got - want) / np.maximum(1.0, np.abs(want))
    worst = np.unravel_index(np.argmax(error), error.shape)
    if not np.all(error <= tolerance):
        failures.append(f"{what}: row {worst[0]} {got_names[worst[1]]}: {got[worst]!r} vs "
                        f"sklearn {want[worst]!r} (relative error {error[worst]:.3g})")
        return
    passed += 1


def pima_numbers():
    return [c for c in load(PIMA).columns if c != "diabetes"]


def income_columns():
    return [c for c in load(INCOME).columns if c != "INCOME"]


def imputers():
    for strategy in ("mean", "median", "most_frequent"):
        case(f"pima impute {strategy}", PIMA, {"holdout": 5, "numeric.impute": strategy},
             pima_numbers(), SimpleImputer(strategy=strategy))
    case("pima impute constant", PIMA,
         {"holdout": 5, "numeric.impute": "constant", "numeric.fill": -1}, pima_numbers(),
         SimpleImputer(strategy="constant", fill_value=-1))
    case("pima missing indicators", PIMA, {"holdout": 5, "numeric.indicator": 1},
         pima_numbers(), SimpleImputer(strategy="median", add_indicator=True), same_order=False)


def scalers():
    for name, scaler in (("standard", StandardScaler()), ("minmax", MinMaxScaler()),
                         ("robust", RobustScaler())):
        case(f"pima {name} scale", PIMA, {"holdout": 4, "numeric.scale": name}, pima_numbers(),
             make_pipeline(SimpleImputer(strategy="median"), scaler))
    case("diamonds standard scale", DIAMONDS, {"holdout": 7, "numeric.scale": "standard"},
         DIAMOND_NUMBERS, StandardScaler())
    case("pima yeo-johnson", PIMA, {"holdout": 4, "numeric.power": "yeo-johnson"},
         pima_numbers(), make_pipeline(SimpleImputer(strategy="median"),
                                       PowerTransformer(method="yeo-johnson")), tolerance=1e-6)


def encoders():
    onehot = dict(handle_unknown="infrequent_if_exist", sparse_output=False)
    case("diamonds one-hot, IF unknown", DIAMONDS, {"holdout": 3, "exclude": "clarity:IF"},
         DIAMOND_CATEGORIES, OneHotEncoder(**onehot))
    case("diamonds one-hot min_frequency 0.03, IF unknown", DIAMONDS,
         {"holdout": 3, "exclude": "clarity:IF", "categorical.min_frequency": 0.03},
         DIAMOND_CATEGORIES, OneHotEncoder(min_frequency=0.03, **onehot))
    case("diamonds one-hot min_frequency 300", DIAMONDS,
         {"holdout": 3, "categorical.min_frequency": 300}, DIAMOND_CATEGORIES,
         OneHotEncoder(min_frequency=300, **onehot))
    case("diamonds ordinal, I1 unknown", DIAMONDS,
         {"holdout": 3, "exclude": "clarity:I1", "categorical.encode": "ordinal"},
         DIAMOND_CATEGORIES,
         OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1))
    case("income impute missing, one-hot min_frequency 20", INCOME,
         {"holdout": 5, "categorical.min_frequency": 20}, income_columns(),
         make_pipeline(SimpleImputer(strategy="constant", fill_value="missing"),
                       OneHotEncoder(min_frequency=20, **onehot)))
    case("income impute most_frequent, ordinal", INCOME,
         {"holdout": 5, "categorical.impute": "most_frequent", "categorical.encode": "ordinal"},
         income_columns(),
         make_pipeline(SimpleImputer(strategy="most_frequent"),
                       OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)))


def selectors():
    median = SimpleImputer(strategy="median")
    for threshold in (0, 50):
        case(f"pima variance threshold {threshold}", PIMA,
             {"holdout": 4, "select": "variance", "select_threshold": threshold}, pima_numbers(),
             make_pipeline(median, VarianceThreshold(threshold)))
    case("pima f_classif k=4", PIMA,
         {"holdout": 4, "target": "diabetes", "select": "f_classif", "select_k": 4},
         pima_numbers(), make_pipeline(median, SelectKBest(f_classif, k=4)))
    case("pima chi2 k=3", PIMA,
         {"holdout": 4, "target": "diabetes", "select": "chi2", "select_k": 3}, pima_numbers(),
         make_pipeline(median, SelectKBest(chi2, k=3)))
    case("diamonds f_regression k=3", DIAMONDS,
         {"holdout": 7, "target": "price", "select": "f_regression", "select_k": 3},
         DIAMOND_NUMBERS, SelectKBest(f_regression, k=3))
    case("income one-hot chi2 k=15", INCOME,
         {"holdout": 5, "target": "INCOME", "select": "chi2", "select_k": 15},
         income_columns(),
         make_pipeline(SimpleImputer(strategy="constant", fill_value="missing"),
                       OneHotEncoder(handle_unknown="infrequent_if_exist", sparse_output=False),
                       SelectKBest(chi2, k=15)))


def l1_selection():
    # C and alpha where every kept weight is far from 0, so solver tolerances cannot flip one
    case("pima l1 logistic C=0.02", PIMA,
         {"holdout": 4, "target": "diabetes", "numeric.scale": "standard", "select": "l1",
          "select_c": 0.02}, pima_numbers(),
         make_pipeline(SimpleImputer(strategy="median"), StandardScaler(),
                       SelectFromModel(LogisticRegression(penalty="l1", C=0.02, solver="saga",
                                                          max_iter=100000, tol=1e-10))))
    case("diamonds lasso alpha=100", DIAMONDS,
         {"holdout": 7, "target": "price", "numeric.scale": "standard", "select": "l1",
          "select_alpha": 100}, DIAMOND_NUMBERS,
         make_pipeline(StandardScaler(), SelectFromModel(Lasso(alpha=100))))


def pcas():
    for n in (3, 0.8):
        case(f"pima standard, pca {n}", PIMA,
             {"holdout": 4, "numeric.scale": "standard", "pca": n}, pima_numbers(),
             make_pipeline(SimpleImputer(strategy="median"), StandardScaler(),
                           PCA(n_components=n, svd_solver="full")), tolerance=1e-6)
    case("pima f_classif k=5 then pca 2", PIMA,
         {"holdout": 4, "target": "diabetes", "numeric.scale": "standard", "select": "f_classif",
          "select_k": 5, "pca": 2}, pima_numbers(),
         make_pipeline(SimpleImputer(strategy="median"), StandardScaler(),
                       SelectKBest(f_classif, k=5), PCA(n_components=2, svd_solver="full")),
         tolerance=1e-6)
    case("diamonds pca 0.99", DIAMONDS, {"holdout": 7, "numeric.scale": "standard", "pca": 0.99},
         DIAMOND_NUMBERS,
         make_pipeline(StandardScaler(), PCA(n_components=0.99, svd_solver="full")),
         tolerance=1e-6)


for group in (imputers, scalers, encoders, selectors, l1_selection, pcas):
    group()
for failure in failures:
    print("FAIL", failure)
print(f"{passed} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
