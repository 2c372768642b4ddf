#!/usr/bin/env python3
"""scikit-learn baseline for the matching evaluation and speed benchmark.

TfidfVectorizer (default settings) fitted on the job texts, cosine
similarity (a sparse matrix product: TF-IDF rows are L2-normalised) between
each query and every job, top 10 by argpartition. Reads the files the Rust
side writes, so both systems see exactly the same texts:

    sklearn_baseline.py eval  DIR   # DIR/jobs.tsv, DIR/resumes.tsv
    sklearn_baseline.py bench DIR   # DIR/jobs.tsv, DIR/queries.tsv

Prints rows in the same format as `--example eval` / `--example bench_index`.
"""

import sys
import time

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

FITS = 3


def unescape(field):
    out, i = [], 0
    while i < len(field):
        c = field[i]
        if c == "\\" and i + 1 < len(field):
            n = field[i + 1]
            out.append({"n": "\n", "t": "\t"}.get(n, n))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def memory_kb(field):
    """VmRSS / VmHWM of this process, read the same way the Rust side does."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def percentile(sorted_ms, q):
    """Nearest-rank percentile, as in core/eval/synth.rs."""
    if not sorted_ms:
        return 0.0
    rank = max(1, int(np.ceil(q * len(sorted_ms))))
    return sorted_ms[min(rank, len(sorted_ms)) - 1]


def top10(vectorizer, matrix, text):
    q = vectorizer.transform([text])
    scores = (matrix @ q.T).toarray().ravel()
    k = min(10, scores.shape[0])
    best = np.argpartition(-scores, k - 1)[:k]
    # Stable sort on score keeps the lower job index first among ties.
    return best[np.lexsort((best, -scores[best]))]


def run(ids, texts, queries):
    """Fits, then ranks every query; returns (fit ms, memory KiB, ranked, times)."""
    try:
        # Resets the peak RSS to the current RSS (as the Rust side does), so
        # the peak read after fitting is the fit's.
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
    rss_before = memory_kb("VmRSS")
    started = time.perf_counter()
    vectorizer = TfidfVectorizer()
    matrix = vectorizer.fit_transform(texts).tocsr()
    fit_times = [(time.perf_counter() - started) * 1e3]
    mem_kb = memory_kb("VmHWM") - rss_before
    # Fitted FITS times, the median reported, as the Rust side does with its
    # builds (this machine is noisy); memory is that of the first fit.
    for _ in range(FITS - 1):
        started = time.perf_counter()
        TfidfVectorizer().fit_transform(texts).tocsr()
        fit_times.append((time.perf_counter() - started) * 1e3)
    fit_ms = sorted(fit_times)[len(fit_times) // 2]
    ranked, times = [], []
    for text in queries:
        t = time.perf_counter()
        best = top10(vectorizer, matrix, text)
        times.append((time.perf_counter() - t) * 1e3)
        ranked.append([ids[i] for i in best])
    times.sort()
    return fit_ms, mem_kb, ranked, times


def evaluate(directory):
    ids, texts = [], []
    with open(f"{directory}/jobs.tsv", encoding="utf-8") as f:
        for line in f:
            code, title, description = line.rstrip("\n").split("\t")
            ids.append(code)
            texts.append(f"{title}\n{description}")
    wanted, queries = [], []
    with open(f"{directory}/resumes.tsv", encoding="utf-8") as f:
        for line in f:
            code, text = line.rstrip("\n").split("\t", 1)
            wanted.append(code)
            queries.append(unescape(text))
    _, _, ranked, times = run(ids, texts, queries)
    n, r1, r10, mrr = len(wanted), 0, 0, 0.0
    for code, best in zip(wanted, ranked):
        if code in best:
            pos = best.index(code)
            r10 += 1
            r1 += pos == 0
            mrr += 1.0 / (pos + 1)
    name = "sklearn TF-IDF + cosine"
    print(
        f"{name:<30} | {n:>6} | {r1 / n:>8.4f} | {r10 / n:>9.4f} | {mrr / n:>7.4f}"
        f" | {percentile(times, 0.5):>8.3f} | {percentile(times, 0.95):>8.3f}"
    )


def bench(directory):
    ids, texts = [], []
    with open(f"{directory}/jobs.tsv", encoding="utf-8") as f:
        for line in f:
            c = line.rstrip("\n").split("\t")
            req = ", ".join(x for x in c[3].split("|") if x)
            nice = ", ".join(x for x in c[4].split("|") if x)
            ids.append(c[0])
            texts.append(f"{c[1]}\n{c[2]}\n{req}\n{nice}")
    with open(f"{directory}/queries.tsv", encoding="utf-8") as f:
        queries = [unescape(line.rstrip("\n").split("\t", 1)[1]) for line in f]
    fit_ms, mem_kb, _, times = run(ids, texts, queries)
    name = "sklearn TF-IDF + cosine"
    print(
        f"{name:<30} | {len(ids):>7} | {fit_ms:>9.1f} | {mem_kb / 1024:>8.1f} | {len(queries):>6}"
        f" | {percentile(times, 0.5):>8.3f} | {percentile(times, 0.95):>8.3f}"
    )


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("eval", "bench"):
        sys.exit(__doc__)
    {"eval": evaluate, "bench": bench}[sys.argv[1]](sys.argv[2])
