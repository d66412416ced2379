"""Answers that follow each other: two people in one room, the second answering question after
question within seconds of the first — right answers included.

Identical wrong answers cannot see copying on an easy exam (``power.py``); the times can. For
a pair A, B of one room and every question both answered, the lag d = (B's first answer) −
(A's first answer). Copying from a neighbour's screen puts many lags in (0, w] (B follows A);
honest people of one room, starting together and answering in the same order at a similar
pace, also produce small lags, but their lags spread smoothly around zero: no more fall in
(0, w] than in the neighbouring windows. So the test is local:

    X = lags in (0, w],   N = lags in (−2w, 3w]   (a window five times as wide)

and under honest answering X given N is binomial with a share p0 of the window. p0 is not
assumed (1/5 for a flat density): it is measured on pairs that *cannot* copy from each other
— people in different rooms, sitting the same exam at the same time — and its upper bound
(never below 1/5) is used. A pair's p-value is the binomial tail of X, times the number of
same-room pairs and two directions (Bonferroni); a finding needs it below α and at least
``MIN_FOLLOWED`` answers following.

A *room* is where the attempt was first opened: the declared room network containing its
address, else its address when others share it (one gateway; the addresses one attempt was
seen at are one room, for an office with two uplinks), else its unit.
"""

import ipaddress

import numpy as np
from scipy.stats import binom

from .analysis import FindingDraft, finding_key, person
from .chance import weigh
from .devices import _by_attempt
from .models import FindingKind

#: seconds: B's first answer at most this long after A's is "following"
WINDOW = 10.0
#: fewer answers following than this never make a finding
MIN_FOLLOWED = 8
#: the share of the window never assumed smaller than a flat density's
P0_FLOOR = 0.2
#: pairs of different rooms sampled for p0
REFERENCE_PAIRS = 20000
#: (pair x question) lags computed at once: a room of 10,000 behind one gateway (or a declared
#: network as wide as the city's) on an 80-question paper would otherwise be compared in pieces
#: of 64 x 10,000 x 80 lags, half a gigabyte with their masks
CELLS = 1 << 21


def _rooms(sitting, attempts):
    """Room key per attempt (index-aligned with ``attempts``).

    Addresses one attempt was seen at belong to one room (an office with two uplinks
    alternates between two), so they are joined; an address inside a declared room network
    stands for that network."""
    parent = {}

    def find(key):
        parent.setdefault(key, key)
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def place(address):
        network = _network(address, sitting.rooms)
        return ("room", str(network)) if network is not None else ("address", address)

    first = {}
    for attempt_id, rows in _by_attempt(sitting).items():
        places = [place(s.address) for s in rows if s.address]
        if not places:
            continue
        first[attempt_id] = places[0]
        for other in places[1:]:
            parent[find(other)] = find(places[0])
    members = {}
    for key in first.values():
        members[find(key)] = members.get(find(key), 0) + 1
    keys = []
    for a in attempts:
        key = first.get(a.id)
        root = find(key) if key is not None else None
        keys.append(root if root is not None and members[root] > 1 else ("unit", a.unit_id))
    return keys


def _network(address, rooms):
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    return next((n for n in rooms if ip.version == n.version and ip in n), None)


def _matrix(sitting, keep):
    """(attempt x question) first-answer times in seconds from the earliest (NaN: not answered)."""
    rows = keep[sitting.item_attempt]
    index = np.cumsum(keep) - 1
    a = index[sitting.item_attempt[rows]]
    versions, v = np.unique(sitting.item_version[rows], return_inverse=True)
    t = sitting.item_first_at[rows]
    base = np.nanmin(t) if np.isfinite(t).any() else 0.0
    times = np.full((int(keep.sum()), len(versions)), np.nan, dtype=np.float64)
    times[a, v] = t - base
    return times, versions


def _room_counts(times, firsts, members):
    """(X, N) of each of ``firsts`` followed by each of ``members`` (a room): a (firsts x members)
    pair of arrays, computed ``CELLS`` lags at a time (a few members at once for a large room)."""
    x = np.empty((len(firsts), len(members)), dtype=np.int64)
    n = np.empty_like(x)
    step = max(1, CELLS // (len(firsts) * max(1, times.shape[1])))
    for start in range(0, len(members), step):
        seconds = members[start : start + step]
        x[:, start : start + step], n[:, start : start + step] = _counts(times, firsts[:, None], seconds[None, :])
    return x, n


def _counts(times, first, second):
    """(X, N) for "second follows first": lags in (0, w] and in (-2w, 3w], per pair."""
    lag = times[second] - times[first]
    with np.errstate(invalid="ignore"):
        followed = ((lag > 0) & (lag <= WINDOW)).sum(axis=-1)
        window = ((lag > -2 * WINDOW) & (lag <= 3 * WINDOW)).sum(axis=-1)
    return followed, window


def following(sitting, settings):
    if sitting.item_first_at is None or not len(sitting.item_attempt):
        return [], {"timing_pairs": 0}
    keep = np.array([a.state != "voided" for a in sitting.attempts], dtype=bool)
    attempts = [a for a, k in zip(sitting.attempts, keep, strict=True) if k]
    if len(attempts) < 2 or not np.isfinite(sitting.item_first_at).any():
        return [], {"timing_pairs": 0}
    times, _versions = _matrix(sitting, keep)
    rooms = _rooms(sitting, attempts)
    by_room = {}
    for i, key in enumerate(rooms):
        by_room.setdefault(key, []).append(i)
    room_of = {i: key for key, members in by_room.items() for i in members}
    same_room_pairs = sum(len(m) * (len(m) - 1) // 2 for m in by_room.values())
    if not same_room_pairs:
        return [], {"timing_pairs": 0}
    p0, reference = _reference_share(times, room_of, len(attempts))
    family = 2 * same_room_pairs
    drafts = []
    width = max(1, times.shape[1])
    for members in by_room.values():
        if len(members) < 2:
            continue
        members = np.array(members)
        rows = max(1, CELLS // (len(members) * width))
        for start in range(0, len(members), rows):
            firsts = members[start : start + rows]
            x, n = _room_counts(times, firsts, members)
            for i, j in zip(*np.nonzero(x >= MIN_FOLLOWED), strict=True):
                a, b = int(firsts[i]), int(members[j])
                if a == b:
                    continue
                p = float(binom.sf(x[i, j] - 1, n[i, j], p0))
                adjusted = min(1.0, p * family)
                if adjusted < settings.alpha:
                    drafts.append(
                        _finding(sitting, attempts[a], attempts[b], x[i, j], n[i, j], p0, p, adjusted, family)
                    )
    drafts = _one_per_pair(drafts)
    return drafts, {
        "timing_pairs": same_room_pairs,
        "timing_rooms": sum(1 for m in by_room.values() if len(m) > 1),
        "timing_share": round(p0, 4),
        "timing_reference_pairs": reference,
        "timing_flagged": len(drafts),
    }


def _reference_share(times, room_of, n):
    """The share of the window that lags of pairs in different rooms fall in (0, w], an upper bound."""
    rng = np.random.default_rng(0)
    first = rng.integers(0, n, REFERENCE_PAIRS)
    second = rng.integers(0, n, REFERENCE_PAIRS)
    apart = np.array([room_of[int(a)] != room_of[int(b)] for a, b in zip(first, second, strict=True)])
    first, second = first[apart], second[apart]
    if not len(first):
        return P0_FLOOR * 1.5, 0
    followed, window = 0, 0
    step = max(1, CELLS // max(1, times.shape[1]))
    for start in range(0, len(first), step):
        x, w = _counts(times, first[start : start + step], second[start : start + step])
        followed += int(x.sum())
        window += int(w.sum())
    if window == 0:
        return P0_FLOOR * 1.5, len(first)
    share = followed / window
    bound = share + 3 * np.sqrt(max(share * (1 - share), 0.01) / window)
    return float(min(0.9, max(P0_FLOOR, bound))), len(first)


def _one_per_pair(drafts):
    """A pair found in both directions keeps the stronger one."""
    best = {}
    for d in drafts:
        if d.key not in best or d.strength > best[d.key].strength:
            best[d.key] = d
    return sorted(best.values(), key=lambda d: -d.strength)


def _finding(sitting, leader, follower, x, n, p0, p, adjusted, family):
    weight = weigh(adjusted)
    summary = (
        f"{person(sitting, follower)}有 {x} 道题在{person(sitting, leader)}作答后 {WINDOW:.0f} 秒内作答"
        f"（两人作答时间相差在前 20 秒至后 30 秒内的 {n} 道中；同一时间在不同考场的考生之间约占 {p0:.0%}）；"
        f"比较了同一考场的 {family // 2} 对考生，正常作答时任何一对出现这种情况的机会{weight.chance}"
    )
    return FindingDraft(
        kind=FindingKind.TIMING,
        key=finding_key(FindingKind.TIMING, [leader.id, follower.id]),
        strength=weight.strength,
        unit_ids=sorted({leader.unit_id, follower.unit_id}),
        attempt_ids=[leader.id, follower.id],
        summary=summary,
        evidence={
            "leader": leader.id,
            "follower": follower.id,
            "followed": int(x),
            "window_answers": int(n),
            "window_seconds": WINDOW,
            "share": round(p0, 4),
            "p": p,
            "p_adjusted": adjusted,
            "pairs_compared": family // 2,
        },
    )
