#!/usr/bin/python3
"""Checks `lathe predict --explain` end to end on the fixed splits, with tree models of
every kind of score: gradient boosting (log-odds), a forest (probabilities) and a
regression tree (values).

What must hold whatever the trees are, computed here from the CSV Lathe writes:
every row's bias plus all its contributions (--top 0) is its score, and the score
is what the prediction is made of -- for boosting, the sigmoid of the log-odds is
the predicted probability of the second class; for a forest, the score is the
predicted probability of the predicted class; for a regressor, the predicted
value. The bias of a score is the same for every row (it is the training data's
expected score; a forest's two class probabilities expect 1 together), and no
feature appears twice in a row.
(The contributions themselves are checked against exact Shapley values and
XGBoost's pred_contribs in tests/unit/test_tree.c.)

Usage: test_explain_cli.py PATH_TO_LATHE   (run from tests/)
"""
import csv
import io
import math
import subprocess
import sys
import tempfile

LATHE = sys.argv[1]
failures = []
checks = 0


def check(ok, what):
    global checks
    checks += 1
    if not ok:
        failures.append(what)


def lathe(*args):
    done = subprocess.run([LATHE, *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError("lathe %s: %s" % (" ".join(args), done.stderr.strip()))
    return done.stdout


def explain_rows(model, data):
    text = lathe("predict", model, data, "--explain", "--top", "0", "--proba")
    return list(csv.DictReader(io.StringIO(text)))


def check_rows(name, rows, score_of_prediction, explained):
    biases = {}
    for i, row in enumerate(rows):
        features = [row[k] for k in row if k.startswith("feature_")]
        contributions = [float(row[k]) for k in row if k.startswith("contribution_")]
        score, bias = float(row["score"]), float(row["bias"])
        biases.setdefault(row["explained"], set()).add(bias)
        check(math.isclose(bias + sum(contributions), score, rel_tol=1e-9, abs_tol=1e-9),
              "%s row %d: bias + contributions %r != score %r"
              % (name, i, bias + sum(contributions), score))
        expected = score_of_prediction(row, score)
        check(math.isclose(expected[0], expected[1], rel_tol=1e-9, abs_tol=1e-9),
              "%s row %d: score %r does not give the prediction (%r vs %r)"
              % (name, i, score, expected[0], expected[1]))
        check(len(set(features)) == len(features), "%s row %d: a feature twice" % (name, i))
        check(row["explained"] == explained(row), "%s row %d: explained %r" %
              (name, i, row["explained"]))
    for explained_score, values in biases.items():
        check(len(values) == 1, "%s: the bias of %s differs between rows: %r"
              % (name, explained_score, sorted(values)[:3]))
    check(len(rows) > 100, "%s: only %d rows" % (name, len(rows)))
    return {k: min(v) for k, v in biases.items()}


def main():
    spam = "data/splits/spam/"
    diamonds = "data/splits/diamonds/"
    with tempfile.TemporaryDirectory() as work:
        gbdt = work + "/gbdt.lathe"
        lathe("train", spam + "train.csv", "--target", "type", "--model", "gbdt", "--set",
              "n_estimators=30", "--seed", "5", "-o", gbdt)
        check_rows("gbdt", explain_rows(gbdt, spam + "test.csv"),
                   lambda row, s: (1 / (1 + math.exp(-s)), float(row["proba_spam"])),
                   lambda row: "log-odds of spam")

        forest = work + "/forest.lathe"
        lathe("train", spam + "train.csv", "--target", "type", "--model", "forest", "--set",
              "n_estimators=5", "--set", "max_depth=6", "--seed", "5", "-o", forest)
        biases = check_rows("forest", explain_rows(forest, spam + "test.csv"),
                            lambda row, s: (s, float(row["proba_" + row["prediction"]])),
                            lambda row: "probability of " + row["prediction"])
        # the expected probabilities of the two classes add up to 1
        check(len(biases) == 2 and math.isclose(sum(biases.values()), 1, rel_tol=1e-12),
              "forest: biases %r" % biases)

        tree = work + "/tree.lathe"
        lathe("train", diamonds + "train.csv", "--target", "price", "--model", "tree",
              "--set", "max_depth=5", "--seed", "5", "-o", tree)
        head = work + "/diamonds_head.csv"
        with open(diamonds + "test.csv") as source, open(head, "w") as out:
            out.writelines(line for _, line in zip(range(1501), source))
        check_rows("tree", explain_rows(tree, head), lambda row, s: (s, float(row["prediction"])),
                   lambda row: "price")

    for failure in failures[:20]:
        print("FAIL", failure)
    print("%d passed, %d failed" % (checks - len(failures), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as error:
        print("FAIL", error)
        print("%d passed, %d failed" % (checks - len(failures), len(failures) + 1))
        sys.exit(1)
