"""Segments of a tvm-trace run proved on a Ray cluster: one Ray task per segment (see docs/ray.md)."""
