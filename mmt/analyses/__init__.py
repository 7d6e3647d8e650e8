"""Analyses per model type: read a dataset, run the statistics, apply thresholds.

Each analysis takes the dataset's normalised columns as a DataFrame (or, for
PD, the aggregates computed by :mod:`mmt.engine`), its options and the
thresholds in force, and returns the JSON-ready ``results`` dictionary that
the API stores as an ``AnalysisResult``.
"""
