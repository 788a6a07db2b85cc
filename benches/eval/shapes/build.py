"""The corpus builder: files assembled from text chunks in which each planted item is marked
⟦like this⟧, and the labels those marks produce (path, line span, kind, class)."""

import json
import os
import textwrap

OPEN, CLOSE = "\u27e6", "\u27e7"
KINDS = ("provider", "generic", "posture", "hash")
# actionable: a real risk in production code or config; true: a real-shaped credential where it does
# no harm (test fixture, docs example, expired); decoy: not a credential at all, must not be reported.
CLASSES = ("actionable", "true", "decoy")


class L:
    """What one mark is: its kind, what it imitates, and (optionally) its class."""

    def __init__(self, kind, what, cls=None, note=""):
        assert kind in KINDS, kind
        assert cls in CLASSES + (None,), cls
        self.kind, self.what, self.cls, self.note = kind, what, cls, note


def A(kind, what, note=""):
    return L(kind, what, "actionable", note)


def T(kind, what, note=""):
    return L(kind, what, "true", note)


def D(kind, what, note=""):
    return L(kind, what, "decoy", note)


def hint(text, kind, cls):
    """A short, redacted reminder of what was planted: never the whole secret."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    if kind == "posture":
        return first[:40]
    if cls == "decoy":
        return (first[:12] + "\u2026") if len(first) > 12 else first
    return first[:4] + "\u2026"


class File:
    """One file of the corpus. `cls` is the class of its true items unless a mark says otherwise:
    "actionable" for production paths, "true" for tests, examples and docs."""

    def __init__(self, corpus, path, shape, cls):
        self.corpus, self.path, self.shape, self.cls = corpus, path, shape, cls
        self.lines = []

    def add(self, text, *labels, dedent=True):
        """Append `text` (dedented, one or more lines); each ⟦mark⟧ in it takes the next label."""
        if dedent:
            text = textwrap.dedent(text)
        if text.endswith("\n"):
            text = text[:-1]
        start = len(self.lines) + 1
        marks = []
        out = []
        pos, line = 0, start
        while True:
            i = text.find(OPEN, pos)
            if i < 0:
                out.append(text[pos:])
                break
            j = text.find(CLOSE, i)
            assert j > i, f"unclosed mark in {self.path}"
            out.append(text[pos:i])
            before = "".join(out)
            line_a = start + before.count("\n")
            col_a = len(before) - (before.rfind("\n") + 1) + 1
            inner = text[i + 1:j]
            out.append(inner)
            line_b = line_a + inner.count("\n")
            col_b = (col_a - 1 + len(inner)) if "\n" not in inner else len(inner.rsplit("\n", 1)[1])
            marks.append((line_a, line_b, col_a, col_b, inner))
            pos = j + 1
        assert len(marks) == len(labels), f"{self.path}: {len(marks)} marks, {len(labels)} labels"
        for (a, b, ca, cb, inner), lab in zip(marks, labels):
            cls = lab.cls or self.cls
            self.corpus.labels.append({
                "path": self.path, "line": a, "end_line": b, "column": ca, "end_column": cb,
                "kind": lab.kind, "what": lab.what,
                "class": cls, "actionable": cls == "actionable", "must_not_report": cls == "decoy",
                "shape": self.shape, "hint": hint(inner, lab.kind, cls), "note": lab.note,
            })
        self.lines.extend("".join(out).split("\n"))
        return self

    def text(self):
        return "\n".join(self.lines) + "\n"


class Corpus:
    """All files and labels; `write` puts them under a directory."""

    def __init__(self, tokens):
        self.t = tokens
        self.rng = tokens.rng
        self.files = []
        self.labels = []

    def file(self, path, shape, cls="actionable"):
        assert all(f.path != path for f in self.files), path
        f = File(self, path, shape, cls)
        self.files.append(f)
        return f

    def write(self, out_dir, labels_path):
        for f in self.files:
            p = os.path.join(out_dir, f.path)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(f.text())
        with open(labels_path, "w", encoding="utf-8") as fh:
            for lab in sorted(self.labels, key=lambda x: (x["path"], x["line"])):
                fh.write(json.dumps(lab, ensure_ascii=False) + "\n")
