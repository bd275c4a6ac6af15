"""Pre- and post-evaluations of mentees: instruments, scoring, pairing, analysis and reports.

Instruments are Questionnaires (``schemas/questionnaires``, or a hub's own through the API)
marked with the network's extensions: an instrument kind, an answer key per knowledge item, an
``ordinalValue`` per scale option and a reverse-coded flag. A response names its program,
cohort and phase in extensions (``links``); the write pipeline's scoring step checks it
against its instrument and keeps its scores as facts (``registry.storage.evaluations``).
"""
