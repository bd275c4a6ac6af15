"""Federation: nodes pull each other's published directory and aggregate outcomes.

The pieces here are pure or adapter-facing and know nothing of HTTP routes, tables or the CLI:

- ``keys``: the node's signing key pair and its public JWKS;
- ``assertions``: SMART Backend Services client assertions, built by the puller and validated
  by the node being pulled;
- ``smart``: the ``.well-known/smart-configuration`` document and the token endpoint's answers;
- ``mirror``: how a pulled record becomes a read-only local mirror (its id, references,
  ``meta.source``, Provenance);
- ``duplicates``: suspected duplicates across nodes and the review-queue Task of each pair;
- ``withdrawal``: the one rule deciding what a peer's ``_history`` shows when a write moves a
  record into or out of the peer's view.

The client that speaks to a peer is ``adapters.fhir_peer``.
"""
