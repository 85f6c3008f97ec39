"""Pydantic response models of the REST routes, one module per resource."""
