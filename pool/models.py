"""SQLAlchemy 2 typed models: the schema of the cadre pool (system of record).

External keys (人员编号, 单位编号 …) are the primary keys, so imports upsert by them and
foreign keys are enforced by the database itself. Dates are calendar dates; `end` is
inclusive and NULL means "still current".
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

KEY = String(64)
CODE = String(64)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Region(Base):
    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    level: Mapped[str] = mapped_column(CODE)  # province / city / county / town


class System(Base):
    __tablename__ = "systems"

    code: Mapped[str] = mapped_column(CODE, primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str | None] = mapped_column(String(128))


class Skill(Base):
    __tablename__ = "skills"

    code: Mapped[str] = mapped_column(CODE, primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str | None] = mapped_column(String(128))


class Unit(Base):
    __tablename__ = "units"

    key: Mapped[str] = mapped_column(KEY, primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    system_code: Mapped[str] = mapped_column(ForeignKey("systems.code"), index=True)
    parent_key: Mapped[str | None] = mapped_column(ForeignKey("units.key"), index=True)
    supervisor_key: Mapped[str | None] = mapped_column(ForeignKey("units.key"), index=True)
    kind: Mapped[str | None] = mapped_column(CODE)


class Person(Base):
    __tablename__ = "persons"

    key: Mapped[str] = mapped_column(KEY, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    gender: Mapped[str | None] = mapped_column(String(1))
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    native_region: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    grew_up_region: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    id_number: Mapped[str | None] = mapped_column(String(18), unique=True)


class Cadre(Base):
    __tablename__ = "cadres"

    person_key: Mapped[str] = mapped_column(ForeignKey("persons.key"), primary_key=True)
    home_unit_key: Mapped[str] = mapped_column(ForeignKey("units.key"), index=True)
    rank: Mapped[str | None] = mapped_column(CODE)
    political_status: Mapped[str | None] = mapped_column(CODE)
    leader_pool: Mapped[bool] = mapped_column(Boolean, default=False)
    deputy_pool: Mapped[bool] = mapped_column(Boolean, default=False)
    expert_pool: Mapped[bool] = mapped_column(Boolean, default=False)
    reserve: Mapped[bool] = mapped_column(Boolean, default=False)
    newly_promoted: Mapped[bool] = mapped_column(Boolean, default=False)
    # 专职巡察干部 (full-time inspection staff) rather than seconded (抽调)
    full_time: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    status: Mapped[str] = mapped_column(CODE, default="active")
    status_reason: Mapped[str | None] = mapped_column(Text)
    status_from: Mapped[dt.date | None] = mapped_column(Date)
    status_to: Mapped[dt.date | None] = mapped_column(Date)
    max_rounds_per_year: Mapped[int | None] = mapped_column(Integer)
    joined_on: Mapped[dt.date | None] = mapped_column(Date)


class CadreSkill(Base):
    __tablename__ = "cadre_skills"

    person_key: Mapped[str] = mapped_column(
        ForeignKey("cadres.person_key", ondelete="CASCADE"), primary_key=True
    )
    skill_code: Mapped[str] = mapped_column(ForeignKey("skills.code"), primary_key=True)
    level: Mapped[int] = mapped_column(Integer, default=1)


class CadreUnavailability(Base):
    __tablename__ = "cadre_unavailability"

    person_key: Mapped[str] = mapped_column(ForeignKey("cadres.person_key"), primary_key=True)
    start: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    end: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)


class Employment(Base):
    __tablename__ = "employments"

    key: Mapped[str] = mapped_column(KEY, primary_key=True)
    person_key: Mapped[str] = mapped_column(ForeignKey("persons.key"), index=True)
    unit_key: Mapped[str] = mapped_column(ForeignKey("units.key"), index=True)
    post: Mapped[str | None] = mapped_column(String(128))
    is_leader: Mapped[bool] = mapped_column(Boolean, default=False)
    start: Mapped[dt.date] = mapped_column(Date)
    end: Mapped[dt.date | None] = mapped_column(Date)
    source_type: Mapped[str | None] = mapped_column(CODE)
    source_ref: Mapped[str | None] = mapped_column(String(256))


class Tie(Base):
    """A dated, sourced edge. `subject` is the parent for parent_of, the superior for
    supervisor_of, the person holding the interest for business_interest and the recused
    person for recusal (a declared recusal, its reason in `note`). business_interest and
    recusal name a unit (`object_unit_key`); every other kind names another person."""

    __tablename__ = "ties"

    key: Mapped[str] = mapped_column(KEY, primary_key=True)
    kind: Mapped[str] = mapped_column(CODE)
    subject_key: Mapped[str] = mapped_column(ForeignKey("persons.key"))
    object_person_key: Mapped[str | None] = mapped_column(ForeignKey("persons.key"))
    object_unit_key: Mapped[str | None] = mapped_column(ForeignKey("units.key"))
    adoptive: Mapped[bool] = mapped_column(Boolean, default=False)
    step: Mapped[bool] = mapped_column(Boolean, default=False)
    category: Mapped[str | None] = mapped_column(CODE)
    start: Mapped[dt.date | None] = mapped_column(Date)
    end: Mapped[dt.date | None] = mapped_column(Date)
    source_type: Mapped[str | None] = mapped_column(CODE)
    source_ref: Mapped[str | None] = mapped_column(String(256))
    recorded_by: Mapped[str | None] = mapped_column(String(128))
    recorded_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_ties_subject_kind", "subject_key", "kind"),
        Index("ix_ties_object_person_kind", "object_person_key", "kind"),
        Index("ix_ties_object_unit_key", "object_unit_key"),
    )


class Round(Base):
    __tablename__ = "rounds"

    key: Mapped[str] = mapped_column(KEY, primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(CODE)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    start: Mapped[dt.date] = mapped_column(Date)
    end: Mapped[dt.date] = mapped_column(Date)


class Participation(Base):
    __tablename__ = "participations"

    round_key: Mapped[str] = mapped_column(ForeignKey("rounds.key"), primary_key=True)
    person_key: Mapped[str] = mapped_column(ForeignKey("cadres.person_key"), primary_key=True)
    team_no: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(CODE)
    target_unit_key: Mapped[str] = mapped_column(ForeignKey("units.key"), index=True)
    second_target_unit_key: Mapped[str | None] = mapped_column(ForeignKey("units.key"))


class Evaluation(Base):
    __tablename__ = "evaluations"

    round_key: Mapped[str] = mapped_column(primary_key=True)
    person_key: Mapped[str] = mapped_column(primary_key=True)
    grade: Mapped[str] = mapped_column(CODE)
    score: Mapped[float | None] = mapped_column(Float)
    comment: Mapped[str | None] = mapped_column(Text)
    evaluator: Mapped[str | None] = mapped_column(String(128))
    evaluated_on: Mapped[dt.date | None] = mapped_column(Date)
    accountability: Mapped[str | None] = mapped_column(Text)  # 问责情况

    __table_args__ = (
        ForeignKeyConstraint(
            ["round_key", "person_key"],
            ["participations.round_key", "participations.person_key"],
            name="fk_evaluations_participation",
        ),
    )


# -- the service's own records: round plans, draws, proposals, jobs, audit, tokens --------

JSON_TEXT = Text  # canonical JSON written by the service (hashed byte for byte)


class RoundPlan(Base):
    """What a round asks for (targets, requirements, policy): the round file as stored."""

    __tablename__ = "round_plans"

    round_key: Mapped[str] = mapped_column(ForeignKey("rounds.key"), primary_key=True)
    mode: Mapped[str] = mapped_column(CODE)  # assembly / pairing
    policy: Mapped[str] = mapped_column(CODE)
    spec: Mapped[str] = mapped_column(JSON_TEXT)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Commitment(Base):
    """Before the draw ceremony (migration 0003): sha256(seed ‖ input hash) with a seed
    the service chose. Kept for the proposals drawn with one; no longer written, and
    unused seeds were erased."""

    __tablename__ = "commitments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    round_key: Mapped[str] = mapped_column(ForeignKey("rounds.key"), index=True)
    input_hash: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64))
    seed: Mapped[int | None] = mapped_column(Integer)  # kept secret until revealed
    revealed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Draw(Base):
    """One draw ceremony of a round (DESIGN §5): the sealed specification, the parties'
    commitments and reveals (`DrawParty`), the optional public value, and the seed. The
    round's draws are numbered 1, 2, …; draw 2 onwards needs a reason and the consent of
    a second role. The secrets reach this table only when revealed."""

    __tablename__ = "draws"
    __table_args__ = (UniqueConstraint("round_key", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    round_key: Mapped[str] = mapped_column(ForeignKey("rounds.key"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    # awaiting_consent / committing / revealing / awaiting_public / seeded / drawn /
    # stale / abandoned (expiry is read from reveal_by, and stored as expired when seen)
    status: Mapped[str] = mapped_column(CODE)
    reason: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(128))
    requested_role: Mapped[str] = mapped_column(CODE)
    consented_by: Mapped[str | None] = mapped_column(String(128))
    consented_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    consent_note: Mapped[str | None] = mapped_column(Text)
    spec: Mapped[str] = mapped_column(JSON_TEXT)  # the canonical text that is hashed
    spec_sha256: Mapped[str] = mapped_column(String(64))
    input_hash: Mapped[str] = mapped_column(String(64))
    reveal_by: Mapped[dt.datetime] = mapped_column(DateTime)  # naive UTC
    public_source: Mapped[str | None] = mapped_column(Text)
    public_after: Mapped[dt.date | None] = mapped_column(Date)
    public_value: Mapped[str | None] = mapped_column(Text)
    seed: Mapped[str | None] = mapped_column(String(64))  # fixed by the last reveal
    job_id: Mapped[str | None] = mapped_column(String(36))
    failure: Mapped[str | None] = mapped_column(JSON_TEXT)  # the last failed run, if any
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    seeded_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class DrawParty(Base):
    """One party of a ceremony: its role and place in the reveal order, its commitment
    (sha256 of its secret) and, once revealed, the secret."""

    __tablename__ = "draw_parties"
    __table_args__ = (UniqueConstraint("draw_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("draws.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(CODE)
    commitment: Mapped[str | None] = mapped_column(String(64))
    committed_by: Mapped[str | None] = mapped_column(String(128))
    committed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    secret: Mapped[str | None] = mapped_column(String(128))  # only after its reveal
    revealed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    public_value: Mapped[str | None] = mapped_column(Text)  # as this party entered it


class ProposalRecord(Base):
    """One run of the optimizer with everything needed to replay it: the input bundle
    (gzip of canonical JSON) and its sha256, the seed, the parameters and the result."""

    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    round_key: Mapped[str] = mapped_column(ForeignKey("rounds.key"), index=True)
    mode: Mapped[str] = mapped_column(CODE)
    # draft / approved / infeasible / superseded (a later draw of record replaced it)
    status: Mapped[str] = mapped_column(CODE)
    kind: Mapped[str] = mapped_column(CODE, default="trial")  # trial / record / legacy
    seed: Mapped[int | None] = mapped_column(Integer)  # a trial's seed
    seed_hex: Mapped[str | None] = mapped_column(String(64))  # a draw of record's seed
    draw_id: Mapped[int | None] = mapped_column(ForeignKey("draws.id"), index=True)
    commitment_id: Mapped[int | None] = mapped_column(ForeignKey("commitments.id"))
    parameters: Mapped[str] = mapped_column(JSON_TEXT)
    bundle: Mapped[bytes] = mapped_column(LargeBinary)
    bundle_sha256: Mapped[str] = mapped_column(String(64))
    input_hash: Mapped[str] = mapped_column(String(64))
    instance: Mapped[str] = mapped_column(JSON_TEXT)  # canonical instance, for changes
    result: Mapped[str] = mapped_column(JSON_TEXT)  # the optimizer's proposal
    recusals: Mapped[str] = mapped_column(JSON_TEXT)  # explanations for the targets
    recusals_sha256: Mapped[str] = mapped_column(String(64))
    teams: Mapped[str] = mapped_column(JSON_TEXT)  # current teams, after manual changes
    revision: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    approved_by: Mapped[str | None] = mapped_column(String(128))
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class ProposalChange(Base):
    """A manual change to a proposal (swap / add / remove), with its written reason."""

    __tablename__ = "proposal_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    change: Mapped[str] = mapped_column(JSON_TEXT)
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(128))
    at: Mapped[dt.datetime] = mapped_column(DateTime)


class Job(Base):
    """Work too long for one request: queued here so any API process can run it (claimed
    with row locks) and any can report it."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(CODE)
    # queued / running / succeeded / failed / cancelled
    status: Mapped[str] = mapped_column(CODE, index=True)
    payload: Mapped[str] = mapped_column(JSON_TEXT)
    result: Mapped[str | None] = mapped_column(JSON_TEXT)
    error: Mapped[str | None] = mapped_column(JSON_TEXT)
    actor: Mapped[str] = mapped_column(String(128))
    scope: Mapped[str | None] = mapped_column(String(12))
    worker: Mapped[str | None] = mapped_column(String(128))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # while running
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class AuditEvent(Base):
    """One event of the append-only audit log; `hash` = sha256(prev_hash ‖ canonical
    event), so altering, deleting or reordering any event breaks the chain after it."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(128), index=True)
    kind: Mapped[str] = mapped_column(CODE, index=True)
    object_type: Mapped[str | None] = mapped_column(CODE)
    object_key: Mapped[str | None] = mapped_column(String(256))
    data: Mapped[str] = mapped_column(JSON_TEXT)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # the region the event belongs to (its object's, or its scoped actor's): what a
    # region-scoped reader may see; hashed when set (service.audit.event_text)
    region: Mapped[str | None] = mapped_column(String(12), index=True)

    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_key"),)


class Counter(Base):
    """Named counters bumped inside write transactions: `pool` (any change to pool data,
    so cached conflict indexes know they are stale) and `audit` (the chain head, locked
    by every append so events are numbered one after another)."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(CODE, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str | None] = mapped_column(String(64))


class ApiToken(Base):
    """A bearer token, stored as its sha256 only."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(CODE)
    scope: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_login_on: Mapped[dt.date | None] = mapped_column(Date)  # first use each day is audited


class User(Base):
    """An account for a person signing in to the workbench: the same role and region
    scope as a token; the password stored only as an argon2 hash."""

    __tablename__ = "users"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(CODE)
    scope: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # failed sign-ins in a row
    first_failure_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)


class WebSession(Base):
    """A signed-in browser: the cookie's random id stored as its sha256 only, and the
    CSRF token its forms carry."""

    __tablename__ = "web_sessions"

    id_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_name: Mapped[str] = mapped_column(ForeignKey("users.name"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    end_reason: Mapped[str | None] = mapped_column(CODE)  # signout / idle / lifetime / disabled …
