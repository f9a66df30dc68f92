"""A text classifier for short Chinese citizen messages: TF-IDF over jieba words (with a user
dictionary of the hotline's domain words) and character 1-3-grams, a linear SVM, and probabilities
by temperature-scaled softmax of its scores (the scale fitted on held-out data).

Labels are arbitrary strings. The fitted weights are pruned to a sparse matrix: a model over 500+
labels stays a few MB, loads fast and scores one message in well under a millisecond.
"""

from __future__ import annotations

import io
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import numpy as np
from scipy import sparse

USER_DICT = Path(__file__).resolve().parent / "userdict.txt"
_tokenizer = None
_tok_lock = threading.Lock()
_PUNCT = re.compile(r"[\s\d\W_]+", re.UNICODE)


def initialize() -> None:
    """Load jieba's dictionary and the domain words (≈0.5 s): at process start-up, not at import."""
    tokenizer()


def tokenizer():
    global _tokenizer
    if _tokenizer is None:
        with _tok_lock:
            if _tokenizer is None:
                import logging

                import jieba

                jieba.setLogLevel(logging.WARNING)
                tk = jieba.Tokenizer()
                tk.initialize()
                if USER_DICT.exists():
                    tk.load_userdict(str(USER_DICT))
                _tokenizer = tk
    return _tokenizer


def normalize(text: str) -> str:
    """Keep the words: digits, punctuation and spaces carry no department."""
    return _PUNCT.sub(" ", text or "").strip()


def words(text: str) -> list[str]:
    """jieba words of two or more characters, plus single-character words that mean something."""
    return [w for w in tokenizer().cut(normalize(text), HMM=False) if w.strip() and len(w) > 1]


def chars(text: str) -> str:
    return normalize(text).replace(" ", "|")


@dataclass
class TextClassifier:
    labels: list[str] = field(default_factory=list)
    temperature: float = 1.0
    vec_words: object = None
    vec_chars: object = None
    weights: sparse.csr_matrix | None = None  # features x labels
    bias: np.ndarray | None = None
    metrics: dict = field(default_factory=dict)
    prune: float = 0.02
    C: float = 0.5

    # -- features ------------------------------------------------------------------------------
    def _features(self, texts: list[str]):
        a = self.vec_words.transform(texts)  # type: ignore[attr-defined]
        b = self.vec_chars.transform([chars(t) for t in texts])  # type: ignore[attr-defined]
        return sparse.hstack([a, b], format="csr")

    # -- training ------------------------------------------------------------------------------
    def fit(
        self, texts: list[str], labels: list[str], calibrate: bool = True, seed: int = 0, report_from: int = 0
    ) -> TextClassifier:
        """Fit on all texts. With `calibrate`, a fifth is first held out to fit the softmax scale, and the
        accuracy on the held-out texts from index `report_from` on is kept in metrics["holdout"]."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        if len(texts) != len(labels) or not texts:
            raise ValueError("need as many labels as texts, and at least one")
        self.labels = sorted(set(labels))
        if len(self.labels) < 2:
            raise ValueError("need at least two labels")
        index = {lab: i for i, lab in enumerate(self.labels)}
        y = np.array([index[lab] for lab in labels])
        min_df = 2 if len(texts) >= 5000 else 1
        self.vec_words = TfidfVectorizer(
            analyzer=words, sublinear_tf=True, min_df=min_df, max_features=60000, dtype=np.float32
        )
        self.vec_chars = TfidfVectorizer(
            analyzer="char",
            ngram_range=(1, 3),
            sublinear_tf=True,
            min_df=min_df,
            max_features=120000,
            dtype=np.float32,
        )
        self.vec_words.fit(texts)  # type: ignore[attr-defined]
        self.vec_chars.fit([chars(t) for t in texts])  # type: ignore[attr-defined]
        X = self._features(texts)

        # Temperature: fit on a held-out fifth first (when there is enough data), then refit on all.
        self.temperature = 1.0
        holdout = None
        if calibrate and len(texts) >= 200:
            rng = np.random.default_rng(seed)
            order = rng.permutation(len(texts))
            cut = len(texts) // 5
            held, train = order[:cut], order[cut:]
            if len(set(y[train])) >= 2:
                svm = LinearSVC(C=self.C, random_state=seed)
                svm.fit(X[train], y[train])
                raw = svm.decision_function(X[held])
                if raw.ndim == 1:
                    raw = np.column_stack([-raw, raw])
                # Labels absent from the training split score far below any other.
                full = np.full((len(held), len(self.labels)), -10.0, dtype=np.float64)
                full[:, svm.classes_] = raw
                self.temperature = _fit_temperature(full, y[held])
                report = held[held >= report_from]
                if len(report):
                    ranked = np.argsort(-full[held >= report_from], axis=1)[:, :3]
                    truth = y[report][:, None]
                    holdout = {
                        "n": int(len(report)),
                        "top1": round(float((ranked[:, 0:1] == truth).mean()), 4),
                        "top3": round(float((ranked == truth).any(axis=1).mean()), 4),
                    }
        svm = LinearSVC(C=self.C, random_state=seed)
        svm.fit(X, y)
        coef = np.asarray(svm.coef_, dtype=np.float32)
        bias = np.asarray(svm.intercept_, dtype=np.float32)
        if coef.shape[0] == 1:  # two labels: sklearn keeps one row for the positive class
            coef = np.vstack([-coef, coef])
            bias = np.concatenate([-bias, bias])
        # Prune weights too small to change a ranking: the model becomes small and sparse.
        coef[np.abs(coef) < self.prune] = 0.0
        self.weights = sparse.csr_matrix(coef.T)
        self.bias = bias
        self.metrics = {
            "n": len(texts),
            "labels": len(self.labels),
            "features": int(X.shape[1]),
            "weights": int(self.weights.nnz),
            "temperature": round(self.temperature, 4),
        }
        if holdout:
            self.metrics["holdout"] = holdout
        return self

    # -- prediction ----------------------------------------------------------------------------
    def scores(self, texts: list[str]) -> np.ndarray:
        X = self._features(texts)
        return np.asarray((X @ self.weights).toarray()) + self.bias  # type: ignore[operator]

    def probabilities(self, texts: list[str]) -> np.ndarray:
        return _softmax(self.scores(texts) * self.temperature)

    def top(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        z = self.score_one(text) * self.temperature
        z = np.exp(z - z.max())
        p = z / z.sum()
        best = np.argpartition(-p, k)[:k] if len(p) > k else np.arange(len(p))
        best = best[np.argsort(-p[best])]
        return [(self.labels[i], float(p[i])) for i in best]

    # -- one message, fast: the same numbers as `scores`, without sklearn's per-call overhead --------
    def _prepare(self) -> None:
        wv, cv = self.vec_words, self.vec_chars
        self._fast = (
            wv.vocabulary_,
            np.asarray(wv.idf_, dtype=np.float64),  # type: ignore[attr-defined]
            cv.vocabulary_,
            np.asarray(cv.idf_, dtype=np.float64),  # type: ignore[attr-defined]
            len(wv.vocabulary_),  # type: ignore[attr-defined]
        )

    def _tfidf(self, tokens: list[str], vocab: dict, idf: np.ndarray, offset: int) -> tuple[list[int], np.ndarray]:
        counts: dict[int, int] = {}
        for tok in tokens:
            j = vocab.get(tok)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        if not counts:
            return [], np.zeros(0)
        idx = list(counts)
        vals = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(idx)))) * idf[idx]
        vals /= np.sqrt((vals * vals).sum())
        return [i + offset for i in idx], vals

    def score_one(self, text: str) -> np.ndarray:
        if getattr(self, "_fast", None) is None:
            self._prepare()
        wvocab, widf, cvocab, cidf, n_words = self._fast
        s = chars(text).lower()
        grams = [s[i : i + n] for n in (1, 2, 3) for i in range(len(s) - n + 1)]
        wi, wvals = self._tfidf(words(text), wvocab, widf, 0)
        ci, cvals = self._tfidf(grams, cvocab, cidf, n_words)
        idx = wi + ci
        out = np.array(self.bias, dtype=np.float64)
        if not idx:
            return out
        vals = np.concatenate([wvals, cvals])
        W = self.weights
        starts, ends = W.indptr[idx], W.indptr[np.asarray(idx) + 1]  # type: ignore[union-attr]
        lengths = ends - starts
        if lengths.sum() == 0:
            return out
        rows = np.concatenate([np.arange(a, b) for a, b in zip(starts, ends, strict=True)])
        out += np.bincount(
            W.indices[rows],
            weights=W.data[rows] * np.repeat(vals, lengths),  # type: ignore[union-attr]
            minlength=len(self.labels),
        )
        return out

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_fast", None)
        return state

    def top_many(self, texts: list[str], k: int = 3) -> list[list[str]]:
        out = []
        for start in range(0, len(texts), 2000):
            s = self.scores(texts[start : start + 2000])
            best = np.argsort(-s, axis=1)[:, :k]
            out.extend([[self.labels[i] for i in row] for row in best])
        return out

    # -- storage -------------------------------------------------------------------------------
    def dumps(self) -> bytes:
        buf = io.BytesIO()
        joblib.dump(self, buf, compress=3)
        return buf.getvalue()

    @staticmethod
    def loads(blob: bytes) -> TextClassifier:
        model = joblib.load(io.BytesIO(blob))
        if not isinstance(model, TextClassifier):
            raise TypeError("not a TextClassifier")
        return model


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _fit_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """The softmax scale that minimises the negative log-likelihood on held-out data."""
    best, best_nll = 1.0, float("inf")
    for t in np.geomspace(0.5, 60, 48):
        p = _softmax(scores * t)
        nll = -float(np.mean(np.log(p[np.arange(len(y)), y] + 1e-12)))
        if nll < best_nll:
            best, best_nll = float(t), nll
    return best


def evaluate(model: TextClassifier, texts: list[str], labels: list[str]) -> dict:
    """{"n", "top1", "top3"}: how often the right label is first, or among the first three."""
    if not texts:
        return {"n": 0, "top1": None, "top3": None}
    tops = model.top_many(texts, 3)
    top1 = sum(t[0] == lab for t, lab in zip(tops, labels, strict=True))
    top3 = sum(lab in t for t, lab in zip(tops, labels, strict=True))
    n = len(texts)
    return {"n": n, "top1": round(top1 / n, 4), "top3": round(top3 / n, 4)}
