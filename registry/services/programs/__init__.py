"""Running a program: cohorts, their needs, work plans, scheduled sessions, calendar feeds.

A cohort is a Group of mentees' PractitionerRoles that names its program (HealthcareService)
in the ``cohort-program`` extension and its hub in ``managingEntity`` (so the policy keeps it in
the hub). The curriculum is a PlanDefinition whose ordered actions are didactic topics, each
with the need it answers in ``reason``; a cohort's adaptation is a CarePlan about the Group
(``subject``) that instantiates the curriculum and lists the topics in the cohort's order,
each activity saying whether it was kept, added, dropped or moved and why. Planned sessions are
session Encounters (status ``planned``) that also name the cohort (``session-cohort``).

Modules: ``model`` (the network's words for all of this), ``needs`` (the intake summary),
``progress`` (held against plan), ``schedule`` (recurring sessions), ``calendar`` (iCalendar
feeds and their keys), ``demo`` (demo data). Everything reads and writes through the
``FhirService`` of the caller, so the policy and the write pipeline apply unchanged.
"""
