"""Honest and dishonest sittings as plain data, from a model unlike the detector's.

``simulate_sitting(seed, ...)`` returns ``(data, truth)``: ``data`` is the plain-data document
``examapp.integrity.plain.sitting_from_data`` reads (docs/integrity.md, "The plain-data file"),
``truth`` says what was planted and how the rooms were laid out. The integrity checks model
error propensity with a Rasch model and the sitting's wrong-answer shares; this simulator
deliberately does something else, so that a calibration against it tests the checks rather
than their own assumptions:

- **people**: units of 5-30 in districts, a unit effect on ability (unit mean ~ N(0, 0.4)),
  abilities N(unit mean, 1);
- **answers**: a two-parameter logistic model, P(right) = logistic(a (theta - b)) with
  lognormal discriminations and difficulties shifted so the expected score is ``target_score``
  (the exam is easy: the median person gets 2-4 of 80 wrong);
- **wrong answers**: a softmax over an item's distractors whose sharpness grows as ability
  falls (weak people agree on the attractive distractor more), so popular wrong answers
  cluster among weak units; a blank's wrong answer is sometimes a person's own text;
- **papers**: each person draws ``paper_size`` of a ``bank_size`` bank, or everyone gets the
  same paper (``fixed_paper``);
- **times**: starts within minutes of the exam's opening, answering in paper order or one's
  own, lognormal item times, a few genuinely quick honest people, some answers changed;
- **rooms**: every room is behind one NAT (one public address for everyone in it), most PCs of
  a room run the identical browser build, every PC has its own device id and every page its
  own tab id; a few reloads (same tab), a few moves to a spare PC (takeover), and offices with
  two uplinks whose PCs alternate between two addresses (address_changed, same device and tab).

Planted cases (each off by default, each described in ``truth``): a copying unit, copy
pairs in one room with the copier answering right after the source, a stand-in answering
three accounts from one device, a stand-in at home answering three accounts in three
browsers, and an implausibly fast perfect score.
"""

import math
from datetime import datetime, timedelta, timezone

import numpy as np

ZONE = timezone(timedelta(hours=8))
START = datetime(2026, 11, 10, 9, 0, tzinfo=ZONE)
EXAM_MINUTES = 120
#: the room PCs' browser builds (a room is installed from one image: most PCs run its build)
BUILDS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 "
    "Edg/120.0.0.0",
]
#: what a person at home has at hand: one browser per account for the stand-in at home
HOME_BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36 "
    "Edg/121.0.0.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36 "
    "QQBrowser/12.0",
]
QTYPE_SHARES = {"single": 0.45, "multiple": 0.25, "judge": 0.25, "blank": 0.05}
#: how much sharper a weak person's preference for the attractive distractor is, per unit of -ability
SHARPNESS = 0.45
#: a typical person's median seconds per item
ITEM_SECONDS = 28.0


def _logistic(x):
    return 1.0 / (1.0 + np.exp(-x))


def _hex(rng):
    return rng.bytes(16).hex()


def _iso(moment):
    return moment.isoformat()


# --- the bank -----------------------------------------------------------------------------


def _difficulty_shift(a, b, target_score):
    """The shift of every difficulty that makes the expected score of the population ``target_score``."""
    # the population's abilities: unit mean ~ N(0, 0.4) plus N(0, 1), as quantiles
    thetas = np.sqrt(1 + 0.4**2) * np.array([_normal_quantile((k + 0.5) / 200) for k in range(200)])
    target_wrong = 1 - target_score / 100
    low, high = -15.0, 5.0
    for _ in range(60):
        mid = (low + high) / 2
        wrong = (1 - _logistic(a[None, :] * (thetas[:, None] - (b[None, :] + mid)))).mean()
        if wrong > target_wrong:
            high = mid
        else:
            low = mid
    return (low + high) / 2


def _normal_quantile(p):
    # Acklam's rational approximation is more than precise enough for a quadrature grid
    return math.sqrt(2) * _erfinv(2 * p - 1)


def _erfinv(y):
    w = -math.log((1 - y) * (1 + y))
    if w < 5:
        w -= 2.5
        p = 2.81022636e-08
        for c in (
            3.43273939e-07,
            -3.5233877e-06,
            -4.39150654e-06,
            0.00021858087,
            -0.00125372503,
            -0.00417768164,
            0.246640727,
            1.50140941,
        ):
            p = c + p * w
    else:
        w = math.sqrt(w) - 3
        p = -0.000200214257
        for c in (
            0.000100950558,
            0.00134934322,
            -0.00367342844,
            0.00573950773,
            -0.0076224613,
            0.00943887047,
            1.00167406,
            2.83297682,
        ):
            p = c + p * w
    return p * y


def _make_bank(rng, bank_size, target_score):
    """Items with a key, 2PL parameters, wrong responses with their attractiveness, a time factor."""
    qtypes = rng.choice(list(QTYPE_SHARES), size=bank_size, p=list(QTYPE_SHARES.values()))
    a = rng.lognormal(0.2, 0.3, bank_size)
    b = rng.normal(0, 1.0, bank_size)
    b = b + _difficulty_shift(a, b, target_score)
    bank = []
    for i in range(bank_size):
        qtype = str(qtypes[i])
        if qtype == "single":
            key = "ABCD"[rng.integers(4)]
            wrong = [c for c in "ABCD" if c != key]
            appeal = rng.normal(0, 1.2, len(wrong))
        elif qtype == "multiple":
            letters = "ABCDE"[: int(rng.integers(4, 6))]
            size = int(rng.integers(2, len(letters)))
            key = "".join(sorted(rng.choice(list(letters), size=size, replace=False)))
            missing = ["".join(c for c in key if c != drop) for drop in key]
            extra = ["".join(sorted(key + add)) for add in letters if add not in key]
            wrong = [w for w in missing + extra if w and w != key]
            appeal = rng.normal(0, 1.2, len(wrong)) + np.array([0.5 if len(w) < len(key) else 0.0 for w in wrong])
        elif qtype == "judge":
            key = "TF"[rng.integers(2)]
            wrong = ["F" if key == "T" else "T"]
            appeal = np.zeros(1)
        else:
            key = [f"key{i}text"]
            wrong = [[f"wrong{i}v{k}"] for k in range(4)]
            appeal = rng.normal(0, 1.2, len(wrong))
        bank.append(
            {
                "id": i + 1,
                "qtype": qtype,
                "key": key,
                "a": float(a[i]),
                "b": float(b[i]),
                "wrong": wrong,
                "appeal": np.asarray(appeal, dtype=float),
                "seconds": float(rng.lognormal(0, 0.3)) * (1.5 if qtype in ("multiple", "blank") else 1.0),
            }
        )
    return bank


def _wrong_response(rng, item, theta, person_id):
    """A wrong answer: weak people prefer the attractive distractor more sharply."""
    if item["qtype"] == "blank" and rng.random() < 0.25:
        return [f"own{person_id}x{item['id']}"]
    sharpness = max(0.1, 1 + SHARPNESS * -theta)
    weights = np.exp(item["appeal"] * sharpness)
    return item["wrong"][rng.choice(len(weights), p=weights / weights.sum())]


def _answer(rng, item, theta, person_id):
    """(response, right) of a person of ability ``theta``."""
    if rng.random() < _logistic(item["a"] * (theta - item["b"])):
        return item["key"], True
    return _wrong_response(rng, item, theta, person_id), False


# --- people, units, rooms ------------------------------------------------------------------


def _unit_sizes(rng, people, units, forced):
    """Sizes of 5-30 summing to ``people`` (the first unit ``forced`` people when given)."""
    rest_people = people - (forced or 0)
    rest_units = units - (1 if forced else 0)
    if rest_units <= 0:
        return [forced]
    sizes = rng.integers(5, 31, rest_units).astype(float)
    low, high = (5, 30) if 5 * rest_units <= rest_people <= 30 * rest_units else (1, None)
    sizes = np.clip(np.round(sizes * rest_people / sizes.sum()), low, high).astype(int)
    while sizes.sum() != rest_people:
        k = int(rng.integers(rest_units))
        if sizes.sum() > rest_people and sizes[k] > 5:
            sizes[k] -= 1
        elif sizes.sum() < rest_people and sizes[k] < 30:
            sizes[k] += 1
        elif sizes.sum() < rest_people and sizes.max() >= 30 and sizes.min() >= 30:
            sizes[k] += 1  # more people than 30 a unit allows: grow anyway
        elif sizes.sum() > rest_people and sizes.min() <= 5 and sizes.max() <= 5:
            sizes[k] = max(1, sizes[k] - 1)
    return ([forced] if forced else []) + [int(s) for s in sizes]


def _rooms(rng, units, room_sizes, two_uplink_share, address_counter):
    """Each unit's members split into rooms; a room: addresses (one NAT, or two uplinks), build, PCs."""
    rooms = []
    for unit_id, members in units.items():
        left = list(members)
        while left:
            size = min(int(rng.choice(room_sizes)), len(left))
            seats, left = left[:size], left[size:]
            n = next(address_counter)
            addresses = [f"58.{16 + n // 200}.{n % 200}.1"]
            if rng.random() < two_uplink_share:
                addresses.append(f"221.{16 + n // 200}.{n % 200}.9")
            build = BUILDS[int(rng.integers(len(BUILDS)))]
            rooms.append({"unit": unit_id, "addresses": addresses, "build": build, "seats": seats})
    return rooms


def _pc(rng, room, same_build_share):
    """A PC of ``room``: its own device id; most (``same_build_share``) run the room's build."""
    build = room["build"] if rng.random() < same_build_share else BUILDS[int(rng.integers(len(BUILDS)))]
    return {"device": _hex(rng), "browser": build}


def _counter():
    n = 0
    while True:
        yield n
        n += 1


# --- one person's sitting ------------------------------------------------------------------


def _timeline(rng, paper, start, speed, own_order):
    """First-answer moments of ``paper``'s items (a dict item id -> datetime) and the end of answering."""
    order = list(paper)
    if own_order:
        rng.shuffle(order)
    noise = rng.lognormal(0, 0.5, len(order))
    t = start + timedelta(seconds=float(rng.uniform(10, 40)))
    moments = {}
    for k, item in enumerate(order):
        t += timedelta(seconds=ITEM_SECONDS * item["seconds"] * speed * float(noise[k]))
        moments[item["id"]] = t
    return moments, t


def _answers(rng, paper, responses, moments, end):
    """The plain-data answers: a few changed once or twice, some right away, some in a last review."""
    rows = []
    for item in paper:
        response = responses[item["id"]]
        first = moments[item["id"]]
        if response is None:
            rows.append(
                {"item": item["id"], "response": None, "first_answered_at": None, "answered_at": None, "saves": 0}
            )
            continue
        saves, last = 1, first
        if rng.random() < 0.08:
            saves = int(rng.integers(2, 4))
            if rng.random() < 0.5:
                last = first + timedelta(seconds=float(rng.uniform(3, 60)))
            else:
                last = end + timedelta(seconds=float(rng.uniform(5, 240)))
        rows.append(
            {
                "item": item["id"],
                "response": response,
                "first_answered_at": _iso(first),
                "answered_at": _iso(last),
                "saves": saves,
            }
        )
    return rows


def _last_moment(answers, fallback):
    times = [datetime.fromisoformat(a["answered_at"]) for a in answers if a["answered_at"]]
    return max(times, default=fallback)


def _sightings(rng, opened_at, end, addresses, pc, spare, *, reload, takeover):
    """Page openings and address changes of one person at one PC (and a spare after a takeover)."""
    tab = _hex(rng)
    address = addresses[int(rng.integers(len(addresses)))]
    rows = [{"at": opened_at, "kind": "opened", "address": address, **pc, "tab": tab}]
    span = max((end - opened_at).total_seconds(), 60.0)
    if takeover:
        moved = opened_at + timedelta(seconds=float(rng.uniform(0.1, 0.7)) * span)
        tab = _hex(rng)
        rows.append({"at": moved, "kind": "takeover", "address": address, **spare, "tab": tab})
        pc = spare
    if reload:
        rows.append(
            {
                "at": opened_at + timedelta(seconds=float(rng.uniform(0.05, 0.95)) * span),
                "kind": "reopened",
                "address": address,
                **pc,
                "tab": tab,
            }
        )
    if len(addresses) > 1:
        # two uplinks: the office's router moves this PC's traffic now and then
        for _ in range(int(rng.poisson(3))):
            at = opened_at + timedelta(seconds=float(rng.uniform(0.02, 1.0)) * span)
            device = [r for r in rows if r["at"] <= at][-1]
            other = addresses[1] if device["address"] == addresses[0] else addresses[0]
            rows.append(
                {
                    "at": at,
                    "kind": "address_changed",
                    "address": other,
                    "browser": device["browser"],
                    "device": device["device"],
                    "tab": device["tab"],
                }
            )
            rows.sort(key=lambda r: r["at"])
            # later rows of the same device now come from the other address
            for later in rows:
                if later["at"] > at and later["kind"] != "address_changed":
                    later["address"] = other
    rows.sort(key=lambda r: r["at"])
    for row in rows:
        row["at"] = _iso(row["at"])
    return rows


def _score(paper, right):
    points = 100 / len(paper)
    return round(sum(points for item in paper if right[item["id"]]), 2)


# --- the sitting -----------------------------------------------------------------------------


def simulate_sitting(
    seed,
    *,
    people=600,
    units=None,
    districts=6,
    bank_size=200,
    paper_size=80,
    fixed_paper=False,
    declare_rooms=True,
    room_sizes=(2, 6, 10, 20, 30),
    two_uplink_share=0.15,
    same_build_share=0.9,
    quick_share=0.03,
    reload_share=0.03,
    takeover_share=0.02,
    target_score=96.0,
    copying_unit=None,
    copy_pairs=(),
    standin_device=False,
    standin_home=False,
    fast_scorer=False,
):
    """A sitting as plain data and what was planted in it: ``(data, truth)``, deterministic per seed.

    ``units``: how many (default: one per 15 people). ``copying_unit``: a dict ``size`` (the
    first unit's size), ``share`` (of the source's sheet each member copies, right and wrong
    answers), ``source_wrong`` (the source's wrong answers, None: as drawn). ``copy_pairs``: one
    pair per share given, the copier next to the source (same room), answering the copied items
    seconds after the source. ``standin_device`` / ``standin_home``: one person answering three
    accounts of one unit at once, from one room PC / from home in three browsers.
    ``fast_scorer``: one person with every answer right in five minutes.
    """
    rng = np.random.default_rng(seed)
    bank = _make_bank(rng, bank_size, target_score)
    units = units or max(1, round(people / 15))
    forced = copying_unit["size"] if copying_unit else None
    sizes = _unit_sizes(rng, people, units, forced)
    unit_means = rng.normal(0, 0.4, len(sizes))
    district_of = {u + 1: int(d) + 1 for u, d in enumerate(rng.permutation(len(sizes)) % districts)}
    members, unit_of, theta, next_id = {}, {}, {}, 1
    for u, size in enumerate(sizes):
        members[u + 1] = list(range(next_id, next_id + size))
        for p in members[u + 1]:
            unit_of[p] = u + 1
            theta[p] = float(rng.normal(unit_means[u], 1.0))
        next_id += size
    ids = list(range(1, next_id))
    fixed = [bank[int(k)] for k in rng.choice(bank_size, size=paper_size, replace=False)] if fixed_paper else None
    papers = {p: fixed or [bank[int(k)] for k in rng.choice(bank_size, size=paper_size, replace=False)] for p in ids}

    # honest answers
    responses, right = {}, {}
    for p in ids:
        responses[p], right[p] = {}, {}
        omit = 0.002 * max(0.0, 1 - theta[p])
        for item in papers[p]:
            if rng.random() < omit:
                responses[p][item["id"]], right[p][item["id"]] = None, False
            else:
                responses[p][item["id"]], right[p][item["id"]] = _answer(rng, item, theta[p], p)

    # rooms, PCs, times
    rooms = _rooms(rng, members, room_sizes, two_uplink_share, _counter())
    room_of = {p: r for r in rooms for p in r["seats"]}
    speed, own_order, start = {}, {}, {}
    quick = set()
    for p in ids:
        speed[p] = float(rng.lognormal(0, 0.25))
        if rng.random() < quick_share:
            speed[p] = float(rng.uniform(0.4, 0.6))
            quick.add(p)
        own_order[p] = bool(rng.random() < 0.4)
        start[p] = START + timedelta(seconds=float(min(rng.exponential(75), 480)))
    moments, ends = {}, {}
    for p in ids:
        moments[p], ends[p] = _timeline(rng, papers[p], start[p], speed[p], own_order[p])

    truth = {"seed": seed, "quick": sorted(quick), "units": {u: len(m) for u, m in members.items()}}
    planted = set()
    overrides = {}  # attempt -> sightings given by a planted case
    first_overrides = {}  # attempt -> {item: first answered at} given by a planted case

    if copying_unit:
        unit_members = members[1]
        source = unit_members[int(rng.integers(len(unit_members)))]
        if copying_unit.get("source_wrong") is not None:
            _force_wrong(rng, papers[source], responses[source], right[source], copying_unit["source_wrong"], source)
        share = copying_unit["share"]
        copiers = [p for p in unit_members if p != source]
        for p in copiers:
            for item in papers[p]:
                if item["id"] in responses[source] and rng.random() < share:
                    responses[p][item["id"]] = responses[source][item["id"]]
                    right[p][item["id"]] = right[source][item["id"]]
        truth["copying_unit"] = {
            "unit": 1,
            "source": source,
            "copiers": copiers,
            "share": share,
            "source_wrong": sum(not r for r in right[source].values()),
            "identical_wrong_pairs": _identical_wrong_pairs(unit_members, responses, right),
        }
        planted.update(unit_members)

    truth["copy_pairs"] = []
    for share in copy_pairs:
        room = _room_for_pair(rng, rooms, planted)
        if room is None:
            break
        source, copier = (int(x) for x in rng.choice([p for p in room["seats"] if p not in planted], 2, replace=False))
        common = [i for i in responses[copier] if i in responses[source] and responses[source][i] is not None]
        copied = [i for i in common if rng.random() < share]
        first_overrides[copier] = {}
        for i in copied:
            responses[copier][i] = responses[source][i]
            right[copier][i] = right[source][i]
            delay = timedelta(seconds=float(np.clip(rng.lognormal(math.log(8), 0.5), 2, 40)))
            first_overrides[copier][i] = moments[source][i] + delay
        truth["copy_pairs"].append(
            {
                "source": source,
                "copier": copier,
                "share": share,
                "common": len(common),
                "copied": len(copied),
                "copied_wrong": sum(not right[source][i] for i in copied),
            }
        )
        planted.update((source, copier))

    home_counter = _counter()
    for kind, wanted in (("standin_device", standin_device), ("standin_home", standin_home)):
        if not wanted:
            continue
        unit = next(u for u, m in members.items() if len([p for p in m if p not in planted]) >= 3 and u != 1)
        accounts = [int(x) for x in rng.choice([p for p in members[unit] if p not in planted], 3, replace=False)]
        beliefs = {}
        stand_in_theta = 1.5
        for p in accounts:
            for item in papers[p]:
                if item["id"] not in beliefs:
                    beliefs[item["id"]] = _answer(rng, item, stand_in_theta, accounts[0])
                responses[p][item["id"]], right[p][item["id"]] = beliefs[item["id"]]
        begin = START + timedelta(seconds=float(rng.uniform(60, 240)))
        # one person, three papers round robin: each account's answers spread over the same span
        t = begin + timedelta(seconds=60)
        for k in range(paper_size):
            for p in accounts:
                t += timedelta(seconds=ITEM_SECONDS * 0.5 * float(rng.lognormal(0, 0.4)))
                moments[p][papers[p][k]["id"]] = t
        for j, p in enumerate(accounts):
            start[p] = begin + timedelta(seconds=20 * j)
            ends[p] = max(moments[p].values())
        if kind == "standin_device":
            room = room_of[accounts[0]]
            pc = _pc(rng, room, same_build_share)
            address = room["addresses"][0]
            overrides.update(
                {
                    p: [{"at": _iso(start[p]), "kind": "opened", "address": address, **pc, "tab": _hex(rng)}]
                    for p in accounts
                }
            )
            truth[kind] = {"attempts": sorted(accounts), "device": pc["device"], "address": address}
        else:
            n = next(home_counter)
            address = f"123.{160 + n}.{int(rng.integers(1, 250))}.{int(rng.integers(2, 250))}"
            overrides.update(
                {
                    p: [
                        {
                            "at": _iso(start[p]),
                            "kind": "opened",
                            "address": address,
                            "browser": HOME_BROWSERS[j],
                            "device": _hex(rng),
                            "tab": _hex(rng),
                        }
                    ]
                    for j, p in enumerate(accounts)
                }
            )
            truth[kind] = {"attempts": sorted(accounts), "address": address}
        planted.update(accounts)

    if fast_scorer:
        p = next(q for q in rng.permutation(ids) if int(q) not in planted and int(q) not in quick)
        p = int(p)
        t = start[p] + timedelta(seconds=15)
        for item in papers[p]:
            responses[p][item["id"]], right[p][item["id"]] = item["key"], True
            t += timedelta(seconds=300 / paper_size * float(rng.uniform(0.7, 1.3)))
            moments[p][item["id"]] = t
        ends[p] = t
        truth["fast_scorer"] = {"attempt": p, "minutes": round((t - start[p]).total_seconds() / 60, 1)}
        planted.add(p)

    for p, given in first_overrides.items():
        for i, at in given.items():
            moments[p][i] = at
        ends[p] = max(ends[p], max(given.values(), default=ends[p]))

    attempts = []
    for p in ids:
        answers = _answers(rng, papers[p], responses[p], moments[p], ends[p])
        last = _last_moment(answers, start[p])
        submitted = last + timedelta(seconds=float(rng.exponential(90)) + 5)
        room = room_of[p]
        sightings = overrides.get(p) or _sightings(
            rng,
            start[p],
            last,
            room["addresses"],
            _pc(rng, room, same_build_share),
            _pc(rng, room, same_build_share),
            reload=rng.random() < reload_share,
            takeover=rng.random() < takeover_share,
        )
        attempts.append(
            {
                "id": p,
                "person": p,
                "unit": unit_of[p],
                "district": district_of[unit_of[p]],
                "score": _score(papers[p], right[p]),
                "started_at": _iso(start[p]),
                "submitted_at": _iso(submitted),
                "answers": answers,
                "sightings": sightings,
            }
        )

    items = [{"id": i["id"], "qtype": i["qtype"], "key": i["key"], "points": round(100 / paper_size, 4)} for i in bank]
    data = {"threshold": 95, "items": items, "attempts": attempts}
    if declare_rooms:
        data["rooms"] = [address for room in rooms for address in room["addresses"]]
    truth["rooms"] = [
        {"unit": r["unit"], "addresses": r["addresses"], "build": r["build"], "size": len(r["seats"])} for r in rooms
    ]
    return data, truth


def _force_wrong(rng, paper, responses, right, wanted, person_id):
    """Make the source's sheet have ``wanted`` wrong answers (a weak source), drawn as a weak person's."""
    wrong_now = [i["id"] for i in paper if not right[i["id"]]]
    right_now = [i for i in paper if right[i["id"]]]
    for item in rng.permutation(len(right_now))[: max(0, wanted - len(wrong_now))]:
        item = right_now[int(item)]
        responses[item["id"]] = _wrong_response(rng, item, -1.5, person_id)
        right[item["id"]] = False


def _room_for_pair(rng, rooms, planted):
    fit = [r for r in rooms if len([p for p in r["seats"] if p not in planted]) >= 2 and r["unit"] != 1]
    return fit[int(rng.integers(len(fit)))] if fit else None


def _identical_wrong_pairs(people, responses, right):
    """Pairs of ``people`` times items on which both gave the same wrong response, summed."""
    counts = {}
    for p in people:
        for item, response in responses[p].items():
            if response is not None and not right[p][item]:
                key = (item, str(response))
                counts[key] = counts.get(key, 0) + 1
    return sum(c * (c - 1) // 2 for c in counts.values())
