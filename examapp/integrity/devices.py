"""Where attempts were used from: one device answering for several people, one attempt in two places.

A *sighting* is a request that shows where an attempt was used: every opening of its
page (opened / reopened / takeover, with the address, the browser, and the browser's
random device id and the page's tab id once the page reports them) and every save that
came from another address, browser or device than the page was opened with
(``address_changed``). Between two sightings the attempt is taken to be where it was
last seen, until its last activity (its submission, or a few minutes after its last
answer when it was left open: a PC left by one examinee and used by the next is not
"at once").

What each kind of evidence can and cannot tell (docs/integrity.md):

- a **device id** is made at random by each browser and kept in its storage: two accounts
  answered from one device id at overlapping times were answered by one browser, wherever
  it was. Honest sitting does not produce this, so it is strong (``same_device``);
- an **address** is shared by every PC of an exam room behind one gateway (NAT), usually
  with identical browser builds: alone it never makes a finding inside the exam's
  declared rooms (its IP allow-list), and outside them several accounts answered from one
  address at once are ``same_address``; with no room declared, an address shared by
  different devices is what a room looks like and is no finding, and one shared by pages
  that never reported a device (an old page) is a weak one;
- an attempt **in two places at once** is one that went back to a device (or, for an
  old page, a browser) it had left within ``switch_minutes``: a change of address alone
  (an office with two uplinks) is not a change of place.

These checks are rules, not statistics: their strength is fixed by the rule (a level the
evidence deserves), and docs/integrity.md reports how often honest simulated rooms reach
them (never, at 中 or 高).
"""

import ipaddress
from collections import defaultdict
from datetime import timedelta

from ..sitting.models import EventKind
from .analysis import FindingDraft, finding_key, person
from .models import FindingKind

OPENINGS = EventKind.OPENINGS
ADDRESS_CHANGED = EventKind.ADDRESS_CHANGED
SIGHTINGS = (*OPENINGS, ADDRESS_CHANGED)
#: an attempt left open (not submitted) is taken to be in use this long after its last answer
IDLE_MINUTES = 5
#: fixed strengths (on the -log10 scale of the statistical checks: 6 and above is 高, 3 to 6 中)
DEVICE_STRENGTH = {"many": 8.0, "two_long": 6.5, "two_short": 4.0}
#: two accounts on one device overlapping at least this long are 高
DEVICE_LONG_MINUTES = 10
ADDRESS_STRENGTH = {"many": 6.5, "two": 4.5, "crowd": 2.5, "unknown_device": 2.5}
PLACES_STRENGTH = {1: 4.0, 2: 5.0}
PLACES_STRENGTH_MANY = 6.5


def _end(attempt, now):
    """When the attempt was last in use: its submission, or its last answer plus a few idle
    minutes (an attempt left open is not being answered until its deadline)."""
    if attempt.submitted_at is not None:
        end = attempt.submitted_at
    else:
        end = max(attempt.started_at, min(now, attempt.deadline_at))
    if attempt.last_answer_at is not None:
        end = min(end, attempt.last_answer_at + timedelta(minutes=IDLE_MINUTES))
    return max(end, attempt.started_at)


def _by_attempt(sitting):
    grouped = defaultdict(list)
    for s in sitting.sightings:
        if s.kind in SIGHTINGS and (s.address or s.device):
            grouped[s.attempt_id].append(s)
    for rows in grouped.values():
        rows.sort(key=lambda s: s.at)
    return grouped


#: where an opening that never said its device puts the attempt: somewhere not known
UNKNOWN = ("unknown",)


def _device_of(s):
    """The device a sighting shows the attempt on; UNKNOWN for an opening that names none (its page
    never said hello, or an old page): the attempt has left the device it was on, for all we know.
    None (no news) for a save from elsewhere that names none."""
    if s.device:
        return s.device
    return UNKNOWN if s.kind in OPENINGS else None


def _segments(rows, end, place):
    """[(where, start, end, sighting)]: the stretches in which the attempt was at one ``place(s)``
    (None: the sighting says nothing of it; a stretch at UNKNOWN is left out)."""
    segments = []
    for s in rows:
        where = place(s)
        if where is None:
            continue
        if segments and segments[-1][0] == where:
            continue
        if segments:
            segments[-1][2] = s.at
        segments.append([where, s.at, None, s])
    if segments:
        segments[-1][2] = max(end, segments[-1][1])
    return [tuple(seg) for seg in segments if seg[2] > seg[1] and seg[0] is not UNKNOWN]


def _clusters(spans, least):
    """Groups of spans (start, end, attempt, ...) that overlap by at least ``least``, with two or more people."""
    spans = sorted(spans, key=lambda span: span[0])
    found, cluster, reach = [], [], None
    for span in [*spans, None]:
        if span is not None and cluster and span[0] <= reach - least:
            cluster.append(span)
            reach = max(reach, span[1])
            continue
        if len({span_[2].user_id for span_ in cluster}) >= 2:
            found.append(cluster)
        if span is not None:
            cluster, reach = [span], span[1]
    return found


def _in_rooms(address, rooms):
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip.version == network.version and ip in network for network in rooms)


def same_device(sitting, settings):
    """Accounts of two or more people answered from one device at once; several from one address
    outside the declared rooms (``same_address``)."""
    attempts = {a.id: a for a in sitting.attempts}
    grouped = _by_attempt(sitting)
    least = timedelta(minutes=settings.overlap_minutes)
    by_device, by_address = defaultdict(list), defaultdict(list)
    for attempt_id, rows in grouped.items():
        attempt = attempts.get(attempt_id)
        if attempt is None:
            continue
        end = _end(attempt, sitting.now)
        for device, start, stop, _s in _segments(rows, end, _device_of):
            by_device[device].append((start, stop, attempt))
        for address, start, stop, s in _segments(rows, end, lambda s: s.address):
            by_address[address].append((start, stop, attempt, s.device, s.user_agent or ""))
    drafts = []
    for device, spans in by_device.items():
        for cluster in _clusters(spans, least):
            drafts.append(_device_finding(sitting, device, cluster))
    found_by_device = {frozenset(d.attempt_ids) for d in drafts}
    for address, spans in by_address.items():
        if sitting.rooms and _in_rooms(address, sitting.rooms):
            continue
        for cluster in _clusters(spans, least):
            finding = _address_finding(sitting, settings, address, cluster)
            if finding is not None and frozenset(finding.attempt_ids) not in found_by_device:
                drafts.append(finding)
    return drafts, {"devices_seen": len(by_device), "addresses_seen": len(by_address), "rooms": len(sitting.rooms)}


def _overlap_minutes(cluster):
    """Minutes during which at least two of the cluster's attempts were in use."""
    points = sorted([(s[0], 1) for s in cluster] + [(s[1], -1) for s in cluster], key=lambda p: (p[0], p[1]))
    active, since, total = 0, None, 0.0
    for at, step in points:
        if active >= 2 and since is not None:
            total += (at - since).total_seconds()
        active += step
        since = at
    return total / 60


def _people(cluster):
    return sorted({span[2].id: span[2] for span in cluster}.values(), key=lambda a: a.id)


def _names(sitting, people):
    return "、".join(person(sitting, a) for a in people[:6]) + ("等" if len(people) > 6 else "")


def _spans(cluster):
    return [
        {"attempt_id": span[2].id, "from": span[0].isoformat(), "to": span[1].isoformat()}
        for span in sorted(cluster, key=lambda span: span[0])
    ]


def _device_finding(sitting, device, cluster):
    people = _people(cluster)
    users = len({a.user_id for a in people})
    overlap = _overlap_minutes(cluster)
    if users >= 3:
        strength = DEVICE_STRENGTH["many"]
    elif overlap >= DEVICE_LONG_MINUTES:
        strength = DEVICE_STRENGTH["two_long"]
    else:
        strength = DEVICE_STRENGTH["two_short"]
    summary = (
        f"{users} 人的答卷（{_names(sitting, people)}）在同一台设备的同一浏览器上同时作答，重叠约 {overlap:.0f} 分钟"
        "（设备标识由浏览器随机生成并保存在本机，不同电脑或不同浏览器各不相同）"
    )
    return FindingDraft(
        kind=FindingKind.SAME_DEVICE,
        key=finding_key(FindingKind.SAME_DEVICE, [a.id for a in people]),
        strength=strength,
        unit_ids=sorted({a.unit_id for a in people}),
        attempt_ids=[a.id for a in people],
        summary=summary,
        evidence={
            "device": device,
            "people": users,
            "overlap_minutes": round(overlap, 1),
            "spans": _spans(cluster),
        },
    )


def _address_finding(sitting, settings, address, cluster):
    """Several accounts from one address at once: a finding outside declared rooms; with no rooms
    declared only when the pages never said which device they were on (an old page)."""
    people = _people(cluster)
    users = len({a.user_id for a in people})
    devices = {span[3] for span in cluster}
    overlap = _overlap_minutes(cluster)
    if sitting.rooms:
        if users > settings.gateway_people:
            strength, note = ADDRESS_STRENGTH["crowd"], "同时使用的人数较多，可能是未登记的考场，请核实考场安排"
        else:
            strength = ADDRESS_STRENGTH["many"] if users >= 3 else ADDRESS_STRENGTH["two"]
            note = "该地址不在本场考试登记的考场地址内"
    elif None in devices:
        strength = ADDRESS_STRENGTH["unknown_device"]
        note = "页面未报告设备标识，无法区分是同一台电脑还是考场共用的出口地址（NAT 或代理），请结合考场安排核实"
    else:
        return None  # different devices behind one address: an exam room
    summary = (
        f"{users} 人的答卷（{_names(sitting, people)}）在同一地址 {address} 同时作答，重叠约 {overlap:.0f} 分钟；{note}"
    )
    return FindingDraft(
        kind=FindingKind.SAME_ADDRESS,
        key=finding_key(FindingKind.SAME_ADDRESS, [a.id for a in people]),
        strength=strength,
        unit_ids=sorted({a.unit_id for a in people}),
        attempt_ids=[a.id for a in people],
        summary=summary,
        evidence={
            "address": address,
            "people": users,
            "devices": len({d for d in devices if d}),
            "browsers": sorted({span[4] for span in cluster})[:6],
            "overlap_minutes": round(overlap, 1),
            "outside_rooms": bool(sitting.rooms),
            "spans": _spans(cluster),
        },
    )


def _place(s, named=False):
    """Where a sighting puts the attempt: its device, else its tab, else (an old page) its browser.

    ``named``: another sighting of the attempt names a device or a tab. An opening naming neither
    is then one whose page never said hello (closed, refused or cut off before it could):
    it may well be on the device the others name, so it places the attempt nowhere (None)
    rather than in a "browser" that is a place of its own."""
    if s.device:
        return ("device", s.device)
    if s.tab:
        return ("tab", s.tab)
    return None if named and s.kind in OPENINGS else ("browser", s.user_agent or "")


def two_addresses(sitting, settings):
    """An attempt that went back to a device it had left within ``switch_minutes``: two places at once.

    A change of address on one device (two uplinks, a mobile link) is not a change of place."""
    attempts = {a.id: a for a in sitting.attempts}
    window = timedelta(minutes=settings.switch_minutes)
    drafts = []
    for attempt_id, rows in _by_attempt(sitting).items():
        attempt = attempts.get(attempt_id)
        if attempt is None:
            continue
        named = any(s.device or s.tab for s in rows)
        places = [(where, s) for s in rows if (where := _place(s, named)) is not None]
        if len({p for p, _s in places}) < 2:
            continue
        switches, returns, left_at = [], 0, {}
        current, last_address = places[0][0], places[0][1].address
        for where, s in places[1:]:
            if where == current:
                last_address = s.address or last_address
                continue
            left_at[current] = s.at
            back = where in left_at and s.at - left_at[where] <= window
            returns += back
            switches.append(
                {
                    "at": s.at.isoformat(),
                    "from": last_address,
                    "to": s.address,
                    "kind": s.kind,
                    "user_agent": s.user_agent,
                    "device": s.device,
                    "back": bool(back),
                }
            )
            current, last_address = where, s.address or last_address
        if not returns:
            continue
        strength = PLACES_STRENGTH.get(returns, PLACES_STRENGTH_MANY)
        addresses = sorted({s.address for s in rows if s.address})
        places_seen = len({p for p, _s in places})
        drafts.append(
            FindingDraft(
                kind=FindingKind.TWO_ADDRESSES,
                key=finding_key(FindingKind.TWO_ADDRESSES, [attempt.id]),
                strength=strength,
                unit_ids=[attempt.unit_id],
                attempt_ids=[attempt.id],
                summary=(
                    f"{person(sitting, attempt)}的答卷在 {places_seen} 台设备（地址 {'、'.join(addresses[:4])}）之间切换 "
                    f"{len(switches)} 次，其中 {returns} 次在 {settings.switch_minutes:.0f} 分钟内切回原设备"
                ),
                evidence={
                    "addresses": addresses,
                    "places": places_seen,
                    "switches": switches,
                    "returns": returns,
                    "window_minutes": settings.switch_minutes,
                },
            )
        )
    return drafts, {}
