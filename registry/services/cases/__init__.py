"""Case presentations: de-identified on the way in, whatever the path they take.

The rule that makes de-identification impossible to bypass lives in the write pipeline's
transform step (``transform.CaseTransform``, registered on the node, sees every batch of
writes, from every interaction, transaction, batch, PATCH, loader and CLI):

- a ``document`` Bundle is a case presentation: it is de-identified with the node secret, stored
  as that Bundle, and its Composition, Conditions, Observations and MedicationStatements are
  stored beside it as individual, searchable resources (ids from the de-identified Bundle);
- Composition, Condition and MedicationStatement written on their own, and Observations about
  someone (with a subject, focus or encounter, or any Patient reference), are refused with 422
  telling the client how to submit a case: they would reach the database un-de-identified;
- other Bundles may not carry case content (Patient, Composition, ...): 422;
- a Communication (a tutor's recommendation) has its free text scrubbed.

Changing a stored case is refused too: a case is re-presented as a follow-up whose Composition
``relatesTo`` the earlier one, so the record of what the hub saw stays as it was.
"""
