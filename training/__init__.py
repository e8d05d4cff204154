"""Workstation side: synthetic data, training of the scorers and of the coach (torch).

Features are computed by `edge.features`, the very code the box runs, so there is no train/serve skew.
"""
