"""Extraction speed: documents of about 3,000 characters per second on one core, and one 10 MB input.

Documents are cut from the development corpus texts (``remission/evidence/corpus/dev``), each
about ``--chars`` characters long, ending at a line break; they are extracted one after another
in this process (one core), after one warm-up call that builds the pipeline. Then a 10 MB text
(the corpus texts repeated) and a 10 MB binary-looking input are extracted once each.

    python benchmarks/extract_bench.py --docs 300
"""

from __future__ import annotations

import argparse
import time
from importlib import resources

from remission.evidence import extract_text


def corpus_texts() -> list[str]:
    folder = resources.files("remission.evidence").joinpath("corpus").joinpath("dev")
    texts = sorted(
        (p.name, p.read_text(encoding="utf-8")) for p in folder.iterdir() if p.name.endswith(".txt")
    )
    if not texts:
        raise SystemExit("no corpus texts in remission/evidence/corpus/dev")
    return [t for _, t in texts]


def documents(texts: list[str], n: int, size: int) -> list[str]:
    """``n`` documents of about ``size`` characters, cut from the texts in turn."""
    stream = "\n\n".join(texts)
    docs: list[str] = []
    pos = 0
    while len(docs) < n:
        if pos >= len(stream) - size // 2:
            pos = 0
        end = stream.find("\n", pos + size)
        end = len(stream) if end < 0 else end
        docs.append(stream[pos:end])
        pos = end + 1
    return docs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=300, help="documents to extract")
    parser.add_argument("--chars", type=int, default=3_000, help="characters per document")
    parser.add_argument("--big-mb", type=float, default=10.0, help="size of the large input (MB)")
    args = parser.parse_args()

    texts = corpus_texts()
    docs = documents(texts, args.docs, args.chars)
    t0 = time.perf_counter()
    extract_text(docs[0])  # builds the pipeline once
    warm = time.perf_counter() - t0
    chars = sum(len(d) for d in docs)
    t0, c0 = time.perf_counter(), time.process_time()
    for d in docs:
        extract_text(d)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"pipeline build + first document: {warm:.2f} s")
    print(
        f"{len(docs)} documents, mean {chars / len(docs):,.0f} characters, one process (one core):"
    )
    for label, secs in (("wall clock", elapsed), ("CPU time", cpu)):
        print(
            f"  {label}: {secs:.2f} s = {len(docs) / secs:,.1f} documents/s, "
            f"{chars / secs:,.0f} characters/s ({1000 * secs / len(docs):.2f} ms per document)"
        )

    big = ("\n\n".join(texts) + "\n\n") * 1
    target = int(args.big_mb * 1_000_000)
    big = (big * (target // len(big) + 1))[:target]
    t0 = time.perf_counter()
    result = extract_text(big)
    elapsed = time.perf_counter() - t0
    print(
        f"{len(big) / 1e6:.1f} MB text: {elapsed:.2f} s, kind {result.kind}, "
        f"{len(result.patients)} patient(s); warning: {result.warnings[0] if result.warnings else '-'}"
    )
    binary = (bytes(range(256)) * (target // 256 + 1))[:target].decode("latin-1")
    t0 = time.perf_counter()
    result = extract_text(binary)
    elapsed = time.perf_counter() - t0
    print(f"{len(binary) / 1e6:.1f} MB binary: {elapsed:.2f} s; warning: {result.warnings[0]}")


if __name__ == "__main__":
    main()
