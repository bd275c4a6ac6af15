"""Applies the policy (``registry.services.policy``) to one caller inside one transaction.

``FhirService`` owns one ``Access``; it is the only thing that consults the policy, and the
policy is the only thing that decides. ``Access`` fetches the facts a decision needs (the
caller's binding, stored compartments), turns refusals into errors and audit records, and
hands the search engine and history the SQL that hides what the caller may not see.

Refusals answer **403** when the caller's role may never do this to this kind of resource, and
**404** — with the same words as a resource that does not exist — when the kind is allowed but
this instance lies outside the caller's compartment: its existence is itself confidential
(another spoke's case, an unpublished directory entry), and searches already hide it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from registry.errors import Forbidden, NotFound, RegistryError, Unprocessable
from registry.services import policy
from registry.services.audit import AuditTrail
from registry.services.bundles import pairs
from registry.services.caller import Caller
from registry.services.compartment import OWNER_EXTENSION, derive, owner_keys
from registry.services.context import Context
from registry.services.policy import Subject
from registry.services.writes.pending import PendingWrite
from registry.services.writes.pipeline import WriteBatch
from registry.storage import compartments
from registry.storage.compartments import EMPTY, Compartment
from registry.storage.rows import Stored
from registry.storage.scope import Restrictions

UNSTAMPED = frozenset({"Bundle"})  # not a DomainResource: no extensions
OWNED_BY_REFERENCE = frozenset({"recommendation", "response"})  # case-level, own no case


@dataclass
class Access:
    ctx: Context
    _subject: Subject | None = field(default=None, init=False, repr=False)
    _seen: dict[tuple[str, str], Compartment | None] = field(default_factory=dict, init=False,
                                                             repr=False)

    @property
    def caller(self) -> Caller:
        return self.ctx.caller

    @property
    def trail(self) -> AuditTrail:
        return self.ctx.trail

    # ---- who is asking -------------------------------------------------------------------

    @property
    def subject(self) -> Subject:
        """The caller's role and binding, with the hub of a bound spoke looked up once."""
        if self._subject is None:
            self._subject = self._resolve_subject()
        return self._subject

    def _resolve_subject(self) -> Subject:
        return replace(self._bound_subject(), reads=policy.scoped_types(self.caller.scopes))

    def _bound_subject(self) -> Subject:
        role, binding = self.caller.role, self.caller.binding or ""
        if role in policy.COUNTRY_ROLES:
            return Subject(role, country=binding.upper() or None)
        if role not in policy.ORGANIZATION_ROLES or not binding.startswith("Organization/"):
            return Subject(role)
        org_id = binding.split("/", 1)[1]
        found = compartments.stored_compartments(self.ctx.conn, [("Organization", org_id)]).get(
            ("Organization", org_id), EMPTY)
        if role == "hub-admin":
            return Subject(role, hub=org_id, country=found.country)
        return Subject(role, hub=found.hub, spoke=org_id, country=found.country)

    # ---- reads ---------------------------------------------------------------------------

    def require_kind(self, res_type: str, interaction: str, audit_as: str,
                     params: Mapping[str, list[str]] | None = None, *,
                     alternative: str | None = None) -> None:
        """403 unless the caller's role may ``interaction`` (or ``alternative``) some
        ``res_type`` at all; checked before a body is validated or a precondition looked at.
        A refused search is audited with its ``params``."""
        reach = {policy.scope(self.subject, i, res_type) for i in (interaction, alternative) if i}
        if reach == {policy.NONE}:
            verb = "read or search" if interaction == "read" else interaction
            self._refuse(Forbidden(f"The {self.caller.role} role may not {verb} {res_type}"),
                         audit_as, [res_type], None if params is None else query_string(params))

    def check_read(self, res_type: str, res_id: str, audit_as: str) -> None:
        """403 for a refused kind, 404 for an instance outside the caller's compartment."""
        self.require_kind(res_type, "read", audit_as)
        if policy.scope(self.subject, "read", res_type) is policy.ALL:
            return  # every instance is readable: no compartment to look up
        found = self._compartments([(res_type, res_id)])
        if (res_type, res_id) in found and not policy.permits(
                self.subject, "read", res_type, found[(res_type, res_id)]):
            self._refuse(NotFound(f"{res_type}/{res_id} is not known"), audit_as,
                         [f"{res_type}/{res_id}"])

    def may_read_evaluation_analysis(self, program_id: str) -> bool:
        """Whether ``check_evaluation_analysis`` would pass (a page leaves out the programs
        it would refuse rather than asking and being refused)."""
        key = ("HealthcareService", program_id)
        return policy.reads_evaluation_analysis(self.subject,
                                                self._compartments([key]).get(key))

    def check_evaluation_analysis(self, program_id: str, audit_as: str) -> None:
        """403 unless the caller may read the evaluation analysis of a program (the program
        itself is read first, as any read: 404 outside the caller's view)."""
        key = ("HealthcareService", program_id)
        if not policy.reads_evaluation_analysis(self.subject, self._compartments([key]).get(key)):
            self._refuse(Forbidden(f"The {self.caller.role} role may not read the evaluation "
                                   f"analysis of HealthcareService/{program_id}"), audit_as,
                         [f"HealthcareService/{program_id}"])

    def check_evaluation_window(self, program_id: str, audit_as: str) -> None:
        """403 unless the caller's role may open evaluation windows at all; 404 for a program
        of a hub the caller does not keep, worded as for one that does not exist."""
        reference = f"HealthcareService/{program_id}"
        if policy.scope(self.subject, "update", "HealthcareService") is policy.NONE:
            self._refuse(Forbidden(f"The {self.caller.role} role may not open evaluation "
                                   "windows"), audit_as, [reference])
        key = ("HealthcareService", program_id)
        if not policy.opens_evaluation_window(self.subject, self._compartments([key]).get(key)):
            self._refuse(NotFound(f"{reference} is not known"), audit_as, [reference])

    def read_scope(self) -> Restrictions:
        """What search, includes and history may return, per resource type."""
        subject = self.subject
        return lambda res_type: policy.restriction(subject, "read", res_type)

    def accessed(self, interaction: str, stored: Sequence[Stored],
                 params: Mapping[str, list[str]] | None = None,
                 res_type: str | None = None) -> None:
        """Audit a read or search that touched case-level data."""
        case_types = {t for t in {s.res_type for s in stored} if policy.is_case_level(t)}
        cases = [s for s in stored if s.res_type in case_types] if case_types else []
        if cases or (res_type and policy.is_case_level(res_type)):
            query = None if params is None else query_string(params)
            self.trail.accessed(self.caller, interaction, cases, query)

    # ---- writes (the pipeline's authorize step) -----------------------------------------

    def authorize(self, writes: Sequence[PendingWrite]) -> None:
        """Check every write of a batch before anything is written; the first refusal wins."""
        self._stamp_owners(writes)
        self._require_known_owners(writes)
        after = derive(self.ctx.conn, self.ctx.base_url, writes)
        before = self._compartments([(w.res_type, w.res_id) for w in writes
                                     if w.current is not None
                                     and not self._reaches_every(w)])
        for write, new in zip(writes, after, strict=True):
            self._authorize_one(write, before.get((write.res_type, write.res_id)), new)
            write.compartment, write.compartment_known = new, True  # persist stores it

    def _require_known_owners(self, writes: Sequence[PendingWrite]) -> None:
        """A recommendation or an evaluation response must be about something the caller can
        see: one about a resource hidden from it is refused exactly as one about a resource
        that does not exist, so neither answer tells the two apart."""
        pending = self.ctx.resources.pending
        for write in writes:
            if write.resource is None or policy.category(write.res_type) not in OWNED_BY_REFERENCE:
                continue
            for res_type, res_id in owner_keys(write.resource, self.ctx.base_url)[:1]:
                reference = f"{res_type}/{res_id}"
                known = reference in pending or (
                    self.ctx.resources.resolve(reference) is not None
                    and self.may_read(res_type, res_id))
                if not known:
                    self._refuse(Unprocessable(f"{reference} is not known: a {write.res_type} "
                                               "must be about a resource this token can see",
                                               *_at(write.where)), "create", [reference])

    def _reaches_every(self, write: PendingWrite) -> bool:
        """Whether the caller may read and change every instance of the write's type, so that
        the stored compartment cannot change the decision."""
        interaction = "delete" if write.resource is None else "update"
        return self.reads_every(write.res_type) and policy.scope(
            self.subject, interaction, write.res_type) is policy.ALL

    def reads_every(self, res_type: str) -> bool:
        return policy.scope(self.subject, "read", res_type) is policy.ALL

    def refuse_unknown(self, res_type: str, res_id: str) -> None:
        """404 worded as for a resource this caller may not see (which it may be)."""
        self._refuse(NotFound(f"{res_type}/{res_id} is not known"), "update",
                     [f"{res_type}/{res_id}"])

    def may_read(self, res_type: str, res_id: str) -> bool:
        """Whether the caller may read this stored resource (no audit: for the pipeline's own
        look-ups, whose answers the caller never sees)."""
        if policy.scope(self.subject, "read", res_type) is policy.ALL:
            return True
        found = self._compartments([(res_type, res_id)])
        return policy.permits(self.subject, "read", res_type, found.get((res_type, res_id)))

    def require_hub_pages(self, res_type: str, res_id: str) -> None:
        """403 unless the caller may open the dashboard pages of the hub that owns this
        resource (``policy.opens_hub_pages``); the refusal is audited."""
        if not self.opens_hub_pages(res_type, res_id):
            self._refuse(Forbidden(f"The pages of {res_type}/{res_id} belong to another hub"),
                         "read", [f"{res_type}/{res_id}"])

    def opens_hub_pages(self, res_type: str, res_id: str) -> bool:
        return (res_type, res_id) in self.hub_pages_among([(res_type, res_id)])

    def hub_pages_among(self, keys: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which of these resources belong to hubs whose pages the caller may open (their
        compartments looked up together)."""
        found = self._compartments(keys)
        return {k for k in keys if policy.opens_hub_pages(self.subject, found.get(k))}

    def same_hub(self, reference: str, organization: str) -> bool:
        """Whether a resource and an Organization belong to the same hub, as stored or as the
        batch being written will store them."""
        hubs = {self._compartment_of(ref).hub for ref in (reference, organization)}
        return len(hubs) == 1 and None not in hubs

    def _compartment_of(self, reference: str) -> Compartment:
        res_type, _, res_id = reference.partition("/")
        pending = self.ctx.resources.pending
        if reference not in pending:
            return self._compartments([(res_type, res_id)]).get((res_type, res_id), EMPTY)
        writes = [PendingWrite(key.partition("/")[0], key.partition("/")[2], body, "PUT")
                  for key, body in pending.items()]
        derived = derive(self.ctx.conn, self.ctx.base_url, writes)
        found = dict(zip(pending, derived, strict=True))
        return found.get(reference) or EMPTY

    def require_visible(self, res_type: str, res_id: str, where: str | None = None) -> None:
        """404 for a write aimed at an existing resource the caller may not even read, before
        preconditions could tell it apart from a missing one."""
        self.require_all_visible([(res_type, res_id, where)])

    def require_all_visible(self, targets: Sequence[tuple[str, str, str | None]]) -> None:
        """``require_visible`` for many targets (transaction entries) in one look-up."""
        hidden = [(t, i) for t, i, _ in targets if not self.reads_every(t)]
        if not hidden:
            return  # every instance of these types is readable: nothing to look up
        found = self._compartments(hidden)
        for res_type, res_id, where in targets:
            key = (res_type, res_id)
            if key in found and not policy.permits(self.subject, "read", res_type,
                                                   found[key]):
                self._refuse(NotFound(f"{res_type}/{res_id} is not known", *_at(where)),
                             "update", [f"{res_type}/{res_id}"])

    def _authorize_one(self, write: PendingWrite, old: Compartment | None,
                       new: Compartment | None) -> None:
        interaction = ("delete" if write.resource is None else
                       "update" if write.current is not None else "create")
        reference = f"{write.res_type}/{write.res_id}"
        audit_as = interaction  # create, update and delete are restful-interaction codes too
        where = _at(write.where)
        kind = policy.kind_of(write.res_type, write.resource)  # a review Task is its own kind
        if policy.scope(self.subject, interaction, kind) is policy.NONE:
            self._refuse(Forbidden(f"The {self.caller.role} role may not {interaction} "
                                   f"{kind.replace(':', ' ')}", *where), audit_as, [reference])
        if write.current is not None:
            if not policy.permits(self.subject, "read", write.res_type, old):
                self._refuse(NotFound(f"{reference} is not known", *where), audit_as,
                             [reference])
            if not policy.permits(self.subject, interaction, write.res_type, old):
                self._refuse(Forbidden(f"{reference} is outside what this token may "
                                       f"{interaction}", *where), audit_as, [reference])
        if new is not None and not policy.permits(self.subject, interaction, kind, new):
            self._refuse(Forbidden(f"This token may not {interaction} a {write.res_type} "
                                   f"owned by that hub, spoke or country", *where),
                         audit_as, [reference])

    def _stamp_owners(self, writes: Sequence[PendingWrite]) -> None:
        """Give resources that name no owner their bound creator's organization as owner, so
        a hub's Practitioners and a spoke's case parts stay in their compartment."""
        if self.caller.role not in policy.ORGANIZATION_ROLES or not self.caller.binding:
            return
        candidates = [w for w in writes if w.resource is not None
                      and w.res_type not in UNSTAMPED]
        derived = derive(self.ctx.conn, self.ctx.base_url, candidates)
        for write, found in zip(candidates, derived, strict=True):
            if found is not None and not found.owned and write.resource is not None:
                extensions = list(write.resource.get("extension") or [])
                extensions.append({"url": OWNER_EXTENSION,
                                   "valueReference": {"reference": self.caller.binding}})
                write.resource["extension"] = extensions

    # ---- shared --------------------------------------------------------------------------

    def _compartments(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str],
                                                                       Compartment]:
        """Stored compartments of existing resources; one without a row has an empty one.
        Looked up once per unit of work (a write batch forgets them: see ``forget``)."""
        wanted = [k for k in keys if k not in self._seen]
        if wanted:
            found = compartments.stored_compartments(self.ctx.conn, wanted, unowned_too=True)
            self._seen.update({k: found.get(k) for k in wanted})
        return {k: c for k in keys if (c := self._seen[k]) is not None}

    def forget(self) -> None:
        """Drop what was looked up: the store has just changed."""
        self._seen.clear()

    def _refuse(self, error: RegistryError, interaction: str, references: Sequence[str],
                query: str | None = None) -> None:
        self.trail.refused(self.caller, interaction, str(error), references, query)
        raise error


def query_string(params: Mapping[str, list[str]]) -> str:
    return urlencode(pairs(params))


def _at(where: str | None) -> tuple[str, ...]:
    return (where,) if where else ()


class AuthorizeStep:
    """The write pipeline's authorize step: the caller's access decides on the whole batch
    before any transform runs (refuse first, then process)."""

    def __call__(self, batch: WriteBatch) -> None:
        batch.access.authorize(batch.writes)
