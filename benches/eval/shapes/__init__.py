"""Shapes of leaked files for the evaluation corpus: each module writes one family of files."""
