"""The findings of one sitting, computed from plain values (no database, no request).

``signals.load_sitting`` reads an exam into a ``Sitting``; the simulation of the tests and
the benchmark build one directly. ``analyse`` runs every check and returns
``FindingDraft``s and the figures of the run. Each check lives in its own module:

- ``devices``: one device answering several accounts at once; one attempt used from two
  addresses at once;
- ``copying``: pairs of examinees with far more identical wrong answers than chance, and
  units whose score distribution stands out *and* whose answers agree beyond chance;
- ``speed``: a high score with a time to the last answer far below the sitting's.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from .models import Level


@dataclass(frozen=True)
class AttemptInfo:
    id: int
    user_id: int
    unit_id: int
    district_id: int | None
    state: str
    started_at: datetime
    deadline_at: datetime
    submitted_at: datetime | None
    #: None until graded
    score: float | None
    #: when the last answer was last changed (None: nothing answered)
    last_answer_at: datetime | None
    #: when the first answer was given (None: nothing answered, or not recorded)
    first_answer_at: datetime | None = None


@dataclass(frozen=True)
class Sighting:
    """A request that showed where an attempt was used: a page opening or a save from elsewhere."""

    attempt_id: int
    kind: str
    at: datetime
    address: str | None
    user_agent: str | None
    #: the browser's random device id (kept in its localStorage; None: not reported)
    device: str | None = None
    #: the page's per-tab id (None: not reported)
    tab: str | None = None


@dataclass
class Sitting:
    attempts: list
    #: answered items only (an omitted question is no evidence): index into ``attempts`` ...
    item_attempt: np.ndarray
    #: ... the question version's id ...
    item_version: np.ndarray
    #: ... the response as a code, one per distinct (version, canonical response) ...
    item_response: np.ndarray
    #: ... and whether it is not fully right
    item_wrong: np.ndarray
    sightings: list
    now: datetime
    #: the accreditation threshold (a "high" score)
    threshold: float = 95.0
    person_names: dict = field(default_factory=dict)
    unit_names: dict = field(default_factory=dict)
    district_names: dict = field(default_factory=dict)
    #: the exam's declared room networks (ipaddress networks); empty: none declared
    rooms: list = field(default_factory=list)
    #: per answered item (as ``item_attempt``): when it was first answered, POSIX seconds (NaN: unknown)
    item_first_at: np.ndarray | None = None


@dataclass(frozen=True)
class Settings:
    #: family-wise false-alarm rate of every statistical check (Bonferroni within each family)
    alpha: float = 0.001
    #: fewer identical wrong answers than this never make a copying finding
    min_identical: int = 3
    #: at most this many copying pairs are kept (the strongest)
    max_pairs: int = 500
    #: at least this many graded attempts before the speed check says anything
    min_sample: int = 20
    #: two addresses within this many minutes of each other count as "at once"
    switch_minutes: float = 10.0
    #: overlapping use of one device for less than this is not counted
    overlap_minutes: float = 2.0
    #: more people than this on one address and browser at once: probably a shared gateway
    gateway_people: int = 6
    #: a unit's mean this many robust deviations above the other units' is a score outlier
    unit_z: float = 2.5
    #: smallest unit the unit check looks at
    unit_min_people: int = 3


@dataclass
class FindingDraft:
    kind: str
    key: str
    strength: float
    unit_ids: list
    attempt_ids: list
    summary: str
    evidence: dict

    @property
    def level(self):
        return Level.of(self.strength)


def finding_key(kind, ids):
    """kind:sorted ids; a long list is hashed so the key fits its column."""
    text = ",".join(str(i) for i in sorted(ids))
    if len(text) > 200:
        text = "h" + hashlib.sha256(text.encode()).hexdigest()
    return f"{kind}:{text}"


def analyse(sitting, settings=None):
    """Every check over ``sitting``: (drafts sorted by strength, figures of the run)."""
    from . import copying, devices, speed, timing

    settings = settings or Settings()
    drafts, stats = [], {}
    checks = (
        devices.same_device,
        devices.two_addresses,
        copying.copying_and_units,
        timing.following,
        speed.implausible_speed,
    )
    for check in checks:
        found, figures = check(sitting, settings)
        drafts.extend(found)
        stats.update(figures)
    drafts.sort(key=lambda d: (-d.strength, d.key))
    return drafts, stats


def person(sitting, attempt):
    return sitting.person_names.get(attempt.id, f"答卷 {attempt.id}")


def unit_name(sitting, unit_id):
    return sitting.unit_names.get(unit_id, f"单位 {unit_id}")
