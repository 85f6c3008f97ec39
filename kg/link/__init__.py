"""Linking the taxonomy to outside vocabularies: candidates (`rsme-kg link`) and review."""
