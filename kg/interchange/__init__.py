"""Interchange with the analysts' other tools.

Imports coded studies from QDA software (REFI-QDA `.qdpx` projects, read leniently where real
exports deviate harmlessly from the schema; highlights tables such as Taguette's CSV export),
checks a QDA program's codebook (`.qdc`, CSV) against the factor taxonomy, imports references
from reference managers (BibTeX, RIS) into the data folder, and exports the factor taxonomy as
a codebook (`.qdc`, `.qdpx`, CSV). Every import is checked as a whole and written atomically:
either every file of the data folder changes, or none does.
"""
