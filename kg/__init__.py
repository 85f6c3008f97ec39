"""rsme-kg: a knowledge graph of the factors behind the internationalization of rural SMEs."""

__version__ = "0.1.0"
