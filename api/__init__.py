"""The FastAPI facade of rsme-kg (SPARQL endpoint, REST lookups, linked data)."""
