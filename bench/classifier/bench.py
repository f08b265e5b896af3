"""The classifier benchmark's scikit-learn side: the reference method.

Amsterdam/Signalen classification (spec/14 §14.4, notes/classifier.md):
lower-case, non-word characters to spaces, NLTK's Dutch Snowball stemmer and
Dutch stop words; counts -> TF-IDF transformer -> LogisticRegression (L1,
liblinear, one-vs-rest); two models, one for the main category and one for
`main|sub`. Hyper-parameters are chosen by 5-fold stratified CV on the
training split only (the reference grid, widened with C and use_idf so that
the baseline is tuned, not handicapped); the test split is read only for the
final score.

    python bench.py TRAIN_CSV TEST_CSV   -> JSON on stdout
"""

import csv
import json
import pickle
import re
import sys
import time

import numpy as np
from nltk.stem.snowball import SnowballStemmer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline

# NLTK's Dutch list (the corpus cannot be downloaded here); the same words
# as shared/classifier/src/text.rs.
STOP_WORDS = """de en van ik te dat die in een hij het niet zijn is was op aan met als voor had er
maar om hem dan zou of wat mijn men dit zo door over ze zich bij ook tot je mij uit der daar haar
naar heb hoe heeft hebben deze u want nog zal me zij nu ge geen omdat iets worden toch al waren
veel meer doen toen moet ben zonder kan hun dus alles onder ja eens hier wie werd altijd doch
wordt wezen kunnen ons zelf tegen na reeds wil kon niets uw iemand geweest andere""".split()

STEMMER = SnowballStemmer("dutch")
STOP = set(STOP_WORDS)
NON_WORD = re.compile(r"\W+")


def analyze(text):
    """The 2021-2022 reference preprocessing."""
    words = NON_WORD.sub(" ", text.lower()).split()
    return [STEMMER.stem(w) for w in words if w not in STOP]


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    texts = [r["text"] for r in rows]
    main = [r["main_slug"] for r in rows]
    sub = [f'{r["main_slug"]}|{r["sub_slug"]}' for r in rows]
    return texts, main, sub


def pipeline():
    return Pipeline(
        [
            ("tfidf", TfidfVectorizer(tokenizer=analyze, preprocessor=None, lowercase=False,
                                      token_pattern=None, norm="l2")),
            ("clf", LogisticRegression(penalty="l1", solver="liblinear", random_state=0)),
        ]
    )


GRID = {
    "tfidf__ngram_range": [(1, 1), (1, 2)],
    "tfidf__use_idf": [False, True],
    "clf__class_weight": [None, "balanced"],
    "clf__max_iter": [300, 500],
    "clf__C": [1.0, 10.0],
}


def main():
    train_csv, test_csv = sys.argv[1], sys.argv[2]
    x_train, main_train, sub_train = read(train_csv)
    x_test, main_test, sub_test = read(test_csv)

    started = time.perf_counter()
    search = GridSearchCV(pipeline(), GRID, scoring="f1_macro",
                          cv=StratifiedKFold(5, shuffle=True, random_state=0), n_jobs=2)
    search.fit(x_train, sub_train)
    tune_seconds = time.perf_counter() - started
    params = search.best_params_

    started = time.perf_counter()
    sub_model = pipeline().set_params(**params).fit(x_train, sub_train)
    main_model = pipeline().set_params(**params).fit(x_train, main_train)
    train_seconds = time.perf_counter() - started

    sub_proba = sub_model.predict_proba(x_test)
    classes = sub_model.classes_
    sub_pred = classes[np.argmax(sub_proba, axis=1)]
    top3 = np.argsort(-sub_proba, axis=1)[:, :3]
    top3_hits = np.mean([t in set(classes[i]) for t, i in zip(sub_test, top3)])
    main_pred = main_model.predict(x_test)

    blob = pickle.dumps((sub_model, main_model))
    loads = []
    for _ in range(21):
        t = time.perf_counter()
        pickle.loads(blob)
        loads.append((time.perf_counter() - t) * 1e3)

    for text in x_test:
        sub_model.predict_proba([text]), main_model.predict_proba([text])
    latencies = []
    for _ in range(2):
        for text in x_test:
            t = time.perf_counter()
            sub_model.predict_proba([text])
            main_model.predict_proba([text])
            latencies.append((time.perf_counter() - t) * 1e3)

    import resource
    report = {
        "implementation": "scikit-learn (TfidfVectorizer + LogisticRegression l1/liblinear, reference method)",
        "train_rows": len(x_train),
        "test_rows": len(x_test),
        "accuracy_main": accuracy_score(main_test, main_pred),
        "macro_f1_main": f1_score(main_test, main_pred, average="macro"),
        "accuracy_sub": accuracy_score(sub_test, sub_pred),
        "macro_f1_sub": f1_score(sub_test, sub_pred, average="macro"),
        "top3_sub": float(top3_hits),
        "train_seconds": train_seconds,
        "tune_seconds": tune_seconds,
        "cv_macro_f1_sub": search.best_score_,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "model_bytes": len(blob),
        "load_ms_median": float(np.median(loads)),
        "load_ms_max": float(np.max(loads)),
        "predict_ms_p50": float(np.percentile(latencies, 50)),
        "predict_ms_p99": float(np.percentile(latencies, 99)),
        "config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in params.items()},
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
