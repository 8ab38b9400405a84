"""Workloads, datasets, timing and the training loop. torch is imported inside functions, not at module level."""
