"""One module per training stage. A stage decides how each source format becomes tokens and
which of them are trained on; packing, the loop and checkpoints are shared (see train.py)."""
