"""Citable, reproducible releases of the graph (`rsme-kg release`)."""
