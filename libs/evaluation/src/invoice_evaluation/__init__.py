"""Evaluation kit for invoice extraction: a synthetic dataset with ground truth, and scoring."""
