"""Where attempts were used from: one device answering for several people, one attempt in two places.

A *sighting* is a request that shows where an attempt was used: every opening of its
page (opened / reopened / takeover, recorded with the address and browser) and every
save that came from another address or browser than the page was opened with
(``address_changed``, recorded on the save path). Between two sightings the attempt is
taken to be where it was last seen, until it was submitted (or, still running, until
now or its deadline).
"""

from collections import defaultdict
from datetime import timedelta

from ..sitting.models import EventKind
from .analysis import FindingDraft, finding_key, person
from .models import FindingKind

OPENINGS = EventKind.OPENINGS
ADDRESS_CHANGED = EventKind.ADDRESS_CHANGED
SIGHTINGS = (*OPENINGS, ADDRESS_CHANGED)


def _end(attempt, now):
    if attempt.submitted_at is not None:
        return attempt.submitted_at
    return max(attempt.started_at, min(now, attempt.deadline_at))


def _by_attempt(sitting):
    grouped = defaultdict(list)
    for s in sitting.sightings:
        if s.kind in SIGHTINGS and s.address:
            grouped[s.attempt_id].append(s)
    for rows in grouped.values():
        rows.sort(key=lambda s: s.at)
    return grouped


def _segments(rows, end):
    """[(device, start, end)]: the stretches in which the attempt was used from one device."""
    segments = []
    for s in rows:
        device = (s.address, s.user_agent or "")
        if segments and segments[-1][0] == device:
            continue
        if segments:
            segments[-1][2] = s.at
        segments.append([device, s.at, None])
    if segments:
        segments[-1][2] = max(end, segments[-1][1])
    return [tuple(seg) for seg in segments]


def same_device(sitting, settings):
    """Attempts of two or more people used from one address and browser in overlapping time."""
    attempts = {a.id: a for a in sitting.attempts}
    by_device = defaultdict(list)
    for attempt_id, rows in _by_attempt(sitting).items():
        attempt = attempts.get(attempt_id)
        if attempt is None:
            continue
        for device, start, end in _segments(rows, _end(attempt, sitting.now)):
            by_device[device].append((start, end, attempt))
    least = timedelta(minutes=settings.overlap_minutes)
    drafts = []
    for device, spans in by_device.items():
        if len({a.user_id for _s, _e, a in spans}) < 2:
            continue
        spans.sort(key=lambda span: span[0])
        cluster, reach = [], None
        for span in [*spans, None]:
            if span is not None and cluster and span[0] <= reach - least:
                cluster.append(span)
                reach = max(reach, span[1])
                continue
            if len({a.user_id for _s, _e, a in cluster}) >= 2:
                drafts.append(_device_finding(sitting, settings, device, cluster))
            if span is not None:
                cluster, reach = [span], span[1]
    return drafts, {"devices_seen": len(by_device)}


def _overlap_minutes(cluster):
    """Minutes during which at least two of the cluster's attempts were in use."""
    points = sorted([(s, 1) for s, _e, _a in cluster] + [(e, -1) for _s, e, _a in cluster], key=lambda p: (p[0], p[1]))
    active, since, total = 0, None, 0.0
    for at, step in points:
        if active >= 2 and since is not None:
            total += (at - since).total_seconds()
        active += step
        since = at
    return total / 60


def _device_finding(sitting, settings, device, cluster):
    address, user_agent = device
    people = sorted({a.id: a for _s, _e, a in cluster}.values(), key=lambda a: a.id)
    users = len({a.user_id for a in people})
    overlap = _overlap_minutes(cluster)
    gateway = users > settings.gateway_people
    if gateway:
        strength = 2.5  # a shared gateway is weak evidence: 低
    else:
        strength = {2: 5.0, 3: 6.5}.get(users, 7.5) + (0.5 if overlap >= 15 else 0.0)
    names = "、".join(person(sitting, a) for a in people[:6]) + ("等" if len(people) > 6 else "")
    summary = f"{users} 人的答卷（{names}）在同一地址 {address} 的同一浏览器上同时作答，重叠约 {overlap:.0f} 分钟"
    if gateway:
        summary += "；同时使用的人数较多，可能是考场共用的出口地址（NAT 或代理），请结合考场安排核实"
    return FindingDraft(
        kind=FindingKind.SAME_DEVICE,
        key=finding_key(FindingKind.SAME_DEVICE, [a.id for a in people]),
        strength=strength,
        unit_ids=sorted({a.unit_id for a in people}),
        attempt_ids=[a.id for a in people],
        summary=summary,
        evidence={
            "address": address,
            "user_agent": user_agent,
            "people": users,
            "overlap_minutes": round(overlap, 1),
            "shared_gateway": gateway,
            "spans": [
                {"attempt_id": a.id, "from": start.isoformat(), "to": end.isoformat()}
                for start, end, a in sorted(cluster, key=lambda span: span[0])
            ],
        },
    )


def two_addresses(sitting, settings):
    """An attempt that went back to an address it had left within ``switch_minutes``: two places at once."""
    attempts = {a.id: a for a in sitting.attempts}
    window = timedelta(minutes=settings.switch_minutes)
    drafts = []
    for attempt_id, rows in _by_attempt(sitting).items():
        attempt = attempts.get(attempt_id)
        if attempt is None or len({s.address for s in rows}) < 2:
            continue
        switches, returns, left_at = [], 0, {}
        current = rows[0].address
        for s in rows[1:]:
            if s.address == current:
                continue
            left_at[current] = s.at
            back = s.address in left_at and s.at - left_at[s.address] <= window
            returns += back
            switches.append(
                {
                    "at": s.at.isoformat(),
                    "from": current,
                    "to": s.address,
                    "kind": s.kind,
                    "user_agent": s.user_agent,
                    "back": bool(back),
                }
            )
            current = s.address
        if not returns:
            continue
        strength = {1: 4.0, 2: 5.0}.get(returns, 6.5)
        addresses = sorted({s.address for s in rows})
        drafts.append(
            FindingDraft(
                kind=FindingKind.TWO_ADDRESSES,
                key=finding_key(FindingKind.TWO_ADDRESSES, [attempt.id]),
                strength=strength,
                unit_ids=[attempt.unit_id],
                attempt_ids=[attempt.id],
                summary=(
                    f"{person(sitting, attempt)}的答卷在 {len(addresses)} 个地址（{'、'.join(addresses[:4])}）之间切换 "
                    f"{len(switches)} 次，其中 {returns} 次在 {settings.switch_minutes:.0f} 分钟内切回原地址"
                ),
                evidence={
                    "addresses": addresses,
                    "switches": switches,
                    "returns": returns,
                    "window_minutes": settings.switch_minutes,
                },
            )
        )
    return drafts, {}
