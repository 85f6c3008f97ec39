"""Interchange with the analysts' other tools.

Imports coded studies from QDA software (REFI-QDA `.qdpx` projects) and references from
reference managers (BibTeX, RIS) into the data folder, and exports the factor taxonomy as a
REFI-QDA codebook (`.qdc`, `.qdpx`). Every import is checked as a whole and written
atomically: either every file of the data folder changes, or none does.
"""
