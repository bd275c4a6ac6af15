"""The one write pipeline: prepare -> authorize -> transform -> audit -> persist.

Every write of the registry (REST interactions, Bundles, case submissions, attendance imports,
the demo loader, federation) is a batch of ``PendingWrite``s run through
``WritePipeline.run``. The steps are components registered on the node in that order
(``Node.write_steps``); persisting (versions, current rows, index and compartment rows) ends
every run, in the caller's transaction.
"""
