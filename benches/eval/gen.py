#!/usr/bin/env python3
"""Writes the evaluation corpus: leaked-file shapes with planted fake credentials and decoys.

    python3 benches/eval/gen.py OUT_DIR

writes OUT_DIR/corpus/ (the files to scan) and OUT_DIR/labels.jsonl (one line per planted item: path,
line, end_line, kind, class, ...). Deterministic: the same seed gives byte-identical output. Every
secret is random noise in a provider's documented shape; nothing here was ever a live credential, and
no secret-looking literal is committed (they are all made at run time).
"""

import os
import random
import sys

sys.dont_write_bytecode = True  # nothing written next to the sources
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from shapes import ci, cms, code, decoys, dotfiles, dumps, ide, infra, packages, posture, providers  # noqa: E402
from shapes.build import Corpus  # noqa: E402
from shapes.keys import RsaKey  # noqa: E402
from shapes.tokens import Tokens  # noqa: E402

SEED = 20261130
MODULES = [dotfiles, ide, cms, dumps, ci, infra, code, providers, packages, posture, decoys]


def build(seed=SEED):
    rng = random.Random(seed)
    corpus = Corpus(Tokens(rng))
    # Keys first, from their own stream, so adding a shape never changes them.
    key_rng = random.Random(seed + 1)
    corpus.keys = [RsaKey(key_rng) for _ in range(5)]
    for m in MODULES:
        m.generate(corpus)
    return corpus


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    corpus = build()
    corpus.write(os.path.join(out, "corpus"), os.path.join(out, "labels.jsonl"))
    n = len(corpus.labels)
    by = {}
    for lab in corpus.labels:
        by[lab["class"]] = by.get(lab["class"], 0) + 1
    print(f"{len(corpus.files)} files, {n} labels ({', '.join(f'{k} {v}' for k, v in sorted(by.items()))})",
          file=sys.stderr)


if __name__ == "__main__":
    main()
