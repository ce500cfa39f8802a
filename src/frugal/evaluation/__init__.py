"""Offline evaluation, calibration and training on labelled rows: ``frugal eval``, ``calibrate``, ``train``.

Nothing here sends a request: rows carry each model's quality (and, optionally, cost), and routing is
replayed with the production router. See docs/evaluation.md.
"""
