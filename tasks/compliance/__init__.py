"""Compliance: judge router configs against a policy file, track findings over time.

Pieces, one concern each: :mod:`~tasks.compliance.config` (the normalised config record),
:mod:`~tasks.compliance.vyos` and :mod:`~tasks.compliance.frr` (parsers),
:mod:`~tasks.compliance.policy` (the YAML policy), :mod:`~tasks.compliance.rules` (one function
per rule id), :mod:`~tasks.compliance.engine` (findings), :mod:`~tasks.compliance.drift`,
:mod:`~tasks.compliance.sources` (saved files, live command table),
:mod:`~tasks.compliance.check` (offline / intended / live runs),
:mod:`~tasks.compliance.history` (SQLite), :mod:`~tasks.compliance.lock` and
:mod:`~tasks.compliance.report`. ``runbooks/compliance.py`` is the command line.
"""
