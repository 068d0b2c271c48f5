"""Pure rules: no database, no Qt, nothing of ours imported. Plain values in, plain values out."""
