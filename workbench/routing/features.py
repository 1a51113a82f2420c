"""Features of one input and the classifier that predicts whether a model passes it.

A record is `{"text": rendered prompt, "vars": test vars}`, built the same way at training time
(from `results.prompt` and `test_cases.vars`) and at serving time (`predict`). Features:
- TF-IDF of the text (word 1-2 grams, sublinear tf),
- log token count (tiktoken cl100k_base, offline) and log character count,
- per var: log length of string/list/dict values (`len:<var>`), numeric values (`num:<var>`,
  signed log1p so one huge number does not swamp the rest), booleans as 0/1.

The functions used inside the pipeline live at module level so the pickled artifact refers to
them by name (`workbench.routing.features.texts`): loading an artifact needs workbench installed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from workbench.tokens import count_tokens

MIN_ROWS_PER_CLASS_TO_CALIBRATE = 10
MIN_GROUPS_TO_CALIBRATE = 15
CALIBRATION_FOLDS = 3


def texts(records: Sequence[dict[str, Any]]) -> list[str]:
    return [str(r.get("text") or "") for r in records]


def numeric(records: Sequence[dict[str, Any]]) -> list[dict[str, float]]:
    return [numeric_features(r) for r in records]


def numeric_features(record: dict[str, Any]) -> dict[str, float]:
    text = str(record.get("text") or "")
    out = {"tokens": math.log1p(count_tokens(text)), "chars": math.log1p(len(text))}
    for key, value in (record.get("vars") or {}).items():
        if isinstance(value, bool):
            out[f"num:{key}"] = float(value)
        elif isinstance(value, (int, float)):
            out[f"num:{key}"] = _signed_log(float(value))
        elif isinstance(value, str):
            out[f"len:{key}"] = math.log1p(len(value))
            number = _as_number(value)
            if number is not None:
                out[f"num:{key}"] = _signed_log(number)
        elif value is not None:
            out[f"len:{key}"] = math.log1p(len(json.dumps(value, default=str)))
    return out


def _signed_log(x: float) -> float:
    if not math.isfinite(x):
        return 0.0
    return math.copysign(math.log1p(abs(x)), x)


def _as_number(text: str) -> float | None:
    try:
        return float(text.strip())
    except ValueError:
        return None


def feature_pipeline() -> Any:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.preprocessing import FunctionTransformer, MaxAbsScaler

    return FeatureUnion(
        [
            (
                "text",
                Pipeline(
                    [
                        ("select", FunctionTransformer(texts)),
                        ("tfidf", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, max_features=50_000)),
                    ]
                ),
            ),
            (
                "numeric",
                Pipeline(
                    [
                        ("select", FunctionTransformer(numeric)),
                        ("vectorize", DictVectorizer()),
                        ("scale", MaxAbsScaler()),
                    ]
                ),
            ),
        ]
    )


def classifier_pipeline() -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    return Pipeline(
        [("features", feature_pipeline()), ("model", LogisticRegression(C=4.0, solver="liblinear", max_iter=1000))]
    )


def fit_classifier(records: list[dict[str, Any]], labels: list[int], groups: list[str]) -> tuple[Any, str]:
    """Fit P(pass). Returns (estimator or constant probability, how it was fitted).

    Calibrated (sigmoid, grouped folds so repeats of one test stay on one side) when every fold has
    both classes and there is enough data; plain logistic regression otherwise; a constant when the
    labels have one class only (nothing to learn).
    """
    positives = sum(labels)
    if positives in (0, len(labels)):
        return (1.0 if positives else 0.0), "constant"
    splits = _calibration_splits(labels, groups)
    if splits is None:
        return classifier_pipeline().fit(records, labels), "logistic"
    from sklearn.calibration import CalibratedClassifierCV

    model = CalibratedClassifierCV(classifier_pipeline(), method="sigmoid", cv=splits)
    return model.fit(records, labels), "logistic+sigmoid-calibration"


def _calibration_splits(labels: list[int], groups: list[str]) -> list[tuple[Any, Any]] | None:
    positives = sum(labels)
    negatives = len(labels) - positives
    if min(positives, negatives) < MIN_ROWS_PER_CLASS_TO_CALIBRATE or len(set(groups)) < MIN_GROUPS_TO_CALIBRATE:
        return None
    import numpy as np
    from sklearn.model_selection import GroupKFold

    y = np.asarray(labels)
    splits = list(GroupKFold(n_splits=CALIBRATION_FOLDS).split(y, y, groups))
    if any(len(set(y[train])) < 2 or len(set(y[test])) < 2 for train, test in splits):
        return None
    return splits


def pass_probability(estimator: Any, records: Sequence[dict[str, Any]]) -> Any:
    """P(pass) for each record as a numpy array."""
    import numpy as np

    if isinstance(estimator, float):
        return np.full(len(records), estimator)
    proba = estimator.predict_proba(list(records))
    classes = list(estimator.classes_)
    return proba[:, classes.index(1)]
