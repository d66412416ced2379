"""One examinee of ``benchmarks/exam_day.py``: a locust ``FastHttpUser`` that plays a person's exam day.

It does what the browser and the exam page's modules (``examapp/static/js/attempt/``) do: logs in through the form
(with the 准考证号 and the ticket's 登录码, which leads straight to the exam's start page, or with the
username and password, which leads to the lobby first), opens the exam's start page, starts at the signal, loads the attempt page and
reads the paper from it, answers every question once (or the first --answers of them) and changes some, and saves each
answer as it is given: unacknowledged saves stay queued (one per question, the newest) and
are re-sent in order, up to 100 a request, with a backoff of 1 s doubling to 30 s. Every
30 s the page asks for its state, unless a reply gave it the time in the last 29 s (the
page's ``resync``). In the last minute before the deadline the person hands in (the
page's submit, with whatever is still queued); a few close the browser instead and are
left to the sweep.

Every request is timed and kept (phase, kind, start, seconds, status) on the shared ``Day``;
each examinee keeps a ledger of the answers it gave and which of them the server
acknowledged, which ``exam_day.py`` compares with the database at the end.
"""

import itertools
import json
import random
import re
import time
from collections import Counter
from urllib.parse import urlencode

import gevent
from gevent.event import Event
from locust import FastHttpUser, constant, task
from locust.exception import StopUser

PASSWORD = "Bench-passw0rd"  # every prepared examinee's password (a throwaway benchmark database)
CSRF_FIELD = re.compile(rb'name="csrf_token" type="hidden" value="([^"]+)"')
PAGE_DATA = re.compile(rb'data-(token|csrf|seconds|last-seq|attempt)="([^"]*)"')
SECTION = re.compile(rb'<section class="attempt-question" id="q\d+" data-position="(\d+)" data-qtype="(\w+)"')
OPTION_VALUE = re.compile(rb'name="q\d+"\s+id="q\d+-[^"]*"\s+value="([^"]*)"')
#: the page sends at most this many queued saves in one request, and this many with the submit
SAVE_BATCH, SUBMIT_BATCH = 100, 200
#: A request followed by a pause longer than this asks for ``Connection: close``. In production
#: nginx holds the browsers' connections and keeps a few to gunicorn; here the examinees talk
#: to gunicorn directly, and 10,000 idle keep-alive connections would exceed what its workers
#: hold (1,000 each), so a page keeps its connection only while it is busy.
IDLE_CLOSE_SECONDS = 3.0
#: how a person logged in, as the figures name it
LOGIN_TICKET, LOGIN_PASSWORD = "ticket code", "password"


def clock():
    return time.monotonic()


def sleep_until(moment):
    delay = moment - clock()
    if delay > 0:
        gevent.sleep(delay)


class Day:
    """What all examinees share: the timetable the conductor sets, counters, and the record of requests."""

    def __init__(
        self,
        *,
        exam_id,
        people,
        seed,
        login_window,
        start_spread,
        save_rate,
        changes,
        poll_seconds,
        no_submit,
        submit_spread,
        capacity_clients,
        answers=None,
        tickets=None,
    ):
        self.exam_id = exam_id
        self.people = people
        self.seed = seed
        self.login_window = login_window
        self.start_spread = start_spread
        self.save_rate = save_rate
        self.changes = changes
        self.poll_seconds = poll_seconds
        self.no_submit = no_submit
        self.submit_spread = submit_spread
        self.capacity_clients = capacity_clients
        #: questions each person answers (None: all of them)
        self.answers = answers
        #: examinee number -> (准考证号, 登录码) for the ticket login; None: everyone logs in with a password
        self.tickets = tickets
        #: successful logins by how (LOGIN_TICKET, LOGIN_PASSWORD)
        self.login_mix = Counter()
        #: save requests answered "saved", by who answered: the lean path (examapp/sitting/lean.py,
        #: no Content-Security-Policy header: Flask's after_request never ran) or the app's view
        self.saves_answered_by = Counter()
        self.login_go, self.start_go, self.capacity_go, self.save_go = Event(), Event(), Event(), Event()
        self.login_at = self.start_at = self.save_at = None
        #: [(from, to)] in which the first ``capacity_clients`` examinees save back to back
        self.capacity_windows = []
        #: the wall time after which nobody sends anything more
        self.hard_stop = float("inf")
        self.samples = []
        self.examinees = []
        self.logged_in = self.loaded = self.finished = 0
        self.crashes = []
        self.connection_errors = Counter()
        self.error_times = []  # (wall clock, error) of every request that got no reply
        self._numbers = itertools.count()

    def record(self, phase, kind, started, seconds, status, ok):
        self.samples.append((phase, kind, started, seconds, status, ok))

    def next_number(self):
        return next(self._numbers)


class Examinee(FastHttpUser):
    """One person, one browser: a keep-alive connection, a cookie jar, and the attempt page's logic."""

    day = None  # the Day, set by the conductor before spawning
    wait_time = constant(0)
    concurrency = 1  # a page sends one request at a time
    max_retries = 0  # a browser does not silently re-send a POST
    # a page's fetch has no timeout of its own: it waits for the reply (and sends nothing
    # else meanwhile); the browser gives up on a connection after some minutes
    network_timeout = 300.0
    connection_timeout = 60.0

    def on_start(self):
        day = self.day
        self.number = day.next_number()
        self.username = f"day{self.number:05d}"
        self.token = None  # the attempt page's token, once the page is loaded
        if day.tickets:
            self.login_how = LOGIN_TICKET
            self.login_name, self.login_secret = day.tickets[self.number]
        else:
            self.login_how = LOGIN_PASSWORD
            self.login_name, self.login_secret = self.username, PASSWORD
        self.rng = random.Random(day.seed * 100_003 + self.number)
        self.attempt_id = None
        self.paper = {}  # position -> (qtype, option values, number of blanks)
        self.current = {}  # position -> last response given
        self.seq = 0
        self.queue = []  # unacknowledged saves, oldest first, one per position (as the page keeps them)
        self.given = {}  # seq -> (position, response, given at)
        self.acked = {}  # seq -> acknowledged at (in "acked" or "stale" of a 200 reply)
        self.handed_in = set()  # seqs sent with a submit that answered "submitted"
        self.dropped = []  # seqs the server refused as invalid (400)
        self.backoff, self.retry_at = 1.0, 0.0
        self.stopped = None  # why the page stopped saving (409 reason), if it did
        self.submitted = False
        self.will_submit = self.rng.random() >= day.no_submit
        self.deadline = None  # local monotonic time at which the timer shows 0:00
        #: the person hands in this many seconds before the deadline (or leaves, if not submitting)
        self.hands_in_early = self.rng.uniform(0, day.submit_spread)
        self.failed_saves = self.save_retries = self.submit_tries = 0
        self.gave_up = None
        self.clicked_at = self.loaded_at = None
        self.last_sync = self.next_tick = 0.0
        self.unanswered = 0
        day.examinees.append(self)

    @task
    def play(self):
        try:
            self.play_day()
        except (gevent.GreenletExit, StopUser):
            raise
        except Exception as exc:  # a broken examinee is reported, never hidden
            self.day.crashes.append((self.username, repr(exc)))
        finally:
            self.day.finished += 1
        raise StopUser()

    # --- talking to the server ----------------------------------------------------------

    def call(self, phase, kind, method, path, *, form=None, payload=None, page=False, expect=(200,), close=False):
        """One request; ``page``: sent by the attempt page's script (``static/js/attempt/transport.js``),
        which adds the CSRF token and, once it has it, the page's token in ``X-Exam-Page``."""
        headers = {"Accept-Encoding": "identity"}
        data = None
        if form is not None:
            data = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if page or payload is not None:
            headers["Accept"] = "application/json"
            if self.csrf_header:
                headers["X-CSRFToken"] = self.csrf_header
            if self.token:
                headers["X-Exam-Page"] = self.token
        if payload is not None:
            data = json.dumps(payload)
            headers["Content-Type"] = "application/json"
        if close:
            headers["Connection"] = "close"
        started = clock()
        with self.client.request(
            method,
            path,
            name=f"{phase}: {kind}",
            data=data,
            headers=headers,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            status = response.status_code or 0
            body = response.content or b""
            self.reply_headers = (response.headers or {}) if status else {}
            location = self.reply_headers.get("Location", "")
            if not status:
                error = getattr(response, "error", None)
                self.day.connection_errors[f"{phase}: {kind}: {type(error).__name__}"] += 1
                self.day.error_times.append((time.time(), type(error).__name__))
            ok = status in expect
            if ok:
                response.success()
            else:
                response.failure(f"HTTP {status}")
        self.day.record(phase, kind, started, clock() - started, status, ok)
        return status, body, location

    csrf_header = None

    def json_of(self, status, body):
        if not body.startswith(b"{"):
            return None  # a login page or an error page: nothing was saved
        try:
            return json.loads(body)
        except ValueError:
            return None

    # --- the day -----------------------------------------------------------------------------

    def play_day(self):
        day = self.day
        day.login_go.wait()
        sleep_until(day.login_at + self.rng.uniform(0, day.login_window))
        if not self.log_in():
            return
        day.logged_in += 1
        day.start_go.wait()
        sleep_until(day.start_at + self.rng.uniform(0, day.start_spread))
        if not self.start_exam():
            return
        day.loaded += 1
        self.last_sync = self.loaded_at
        self.next_tick = self.loaded_at + day.poll_seconds
        if self.number < day.capacity_clients:
            self.idle(day.capacity_go)
            for begin, end in day.capacity_windows:
                sleep_until(begin)
                while clock() < end and not self.stopped:
                    self.give(self.rng.choice(list(self.paper)))
                    if not self.flush("capacity", close=False):
                        sleep_until(self.retry_at)
            self.flush("capacity", close=True)
        self.idle(day.save_go)
        self.answer_paper()
        if self.will_submit and not self.stopped:
            self.wait_to_hand_in()
            self.submit()

    def retry_pause(self, tries):
        gevent.sleep(min(2.0 * tries, 10.0) * self.rng.uniform(0.5, 1.5))

    def log_in(self):
        day = self.day
        for tries in itertools.count(1):
            if clock() > day.hard_stop:
                self.gave_up = "login"
                return False
            status, page, _ = self.call("login", "GET /login", "GET", "/login")
            match = CSRF_FIELD.search(page) if status == 200 else None
            if match:
                status, _, location = self.call(
                    "login",
                    f"POST /login ({self.login_how})",
                    "POST",
                    "/login",
                    expect=(302,),
                    form={
                        "username": self.login_name,
                        "password": self.login_secret,
                        "csrf_token": match.group(1).decode(),
                    },
                )
                if status == 302 and "/account/password" not in location:
                    break
            self.retry_pause(tries)
        day.login_mix[self.login_how] += 1
        if f"/exam/{day.exam_id}" not in location:  # a ticket login leads straight to the exam, skipping the lobby
            self.call("login", "GET / (lobby)", "GET", "/")
        for tries in itertools.count(1):
            status, page, _ = self.call("login", "GET /exam/<id>", "GET", f"/exam/{day.exam_id}", close=True)
            match = CSRF_FIELD.search(page) if status == 200 else None
            if match:
                self.start_csrf = match.group(1).decode()
                return True
            if clock() > day.hard_stop:
                self.gave_up = "start page"
                return False
            self.retry_pause(tries)

    def start_exam(self):
        day = self.day
        exam_path = f"/exam/{day.exam_id}"
        self.clicked_at = clock()
        for tries in itertools.count(1):
            if clock() > day.hard_stop:
                self.gave_up = "start"
                return False
            status, page, location = self.call(
                "start",
                "POST /exam/<id>",
                "POST",
                exam_path,
                expect=(302,),
                form={"csrf_token": self.start_csrf, "pledge": "y"},
            )
            if status == 302 and "/attempt/" in location:
                self.attempt_id = int(location.rstrip("/").rsplit("/", 1)[1])
                break
            self.retry_pause(tries)
            # a person reloads the exam's page: it leads to the attempt if the start went through
            status, page, location = self.call("start", "GET /exam/<id>", "GET", exam_path, expect=(200, 302))
            if status == 302 and "/attempt/" in location:
                self.attempt_id = int(location.rstrip("/").rsplit("/", 1)[1])
                break
            match = CSRF_FIELD.search(page) if status == 200 else None
            if match:
                self.start_csrf = match.group(1).decode()
        for tries in itertools.count(1):
            status, page, _ = self.call(
                "start",
                "GET /attempt/<id>",
                "GET",
                f"/attempt/{self.attempt_id}",
                close=self.number >= day.capacity_clients,
            )
            if status == 200 and self.read_page(page):
                self.loaded_at = clock()
                return True
            if clock() > day.hard_stop:
                self.gave_up = "attempt page"
                return False
            self.retry_pause(tries)

    def read_page(self, page):
        data = {name.decode(): value.decode() for name, value in PAGE_DATA.findall(page)}
        if "token" not in data:
            return False
        self.token, self.csrf_header = data["token"], data["csrf"]
        self.seq = max(self.seq, int(data["last-seq"]))
        self.deadline = clock() + int(data["seconds"])
        starts = list(SECTION.finditer(page))
        for i, match in enumerate(starts):
            chunk = page[match.end() : starts[i + 1].start() if i + 1 < len(starts) else len(page)]
            values = [v.decode() for v in OPTION_VALUE.findall(chunk)]
            self.paper[int(match.group(1))] = (match.group(2).decode(), values, chunk.count(b'type="text"'))
        return bool(self.paper)

    # --- answering ------------------------------------------------------------------------------

    def response_for(self, position):
        qtype, values, blanks = self.paper[position]
        previous = self.current.get(position)
        for _ in range(20):
            if qtype == "single":
                response = self.rng.choice(values)
            elif qtype == "multiple":
                response = "".join(sorted(self.rng.sample(values, self.rng.randint(2, len(values)))))
            elif qtype == "judge":
                response = self.rng.choice("TF")
            else:
                response = [f"答案{self.rng.randint(1, 999)}" for _ in range(blanks)]
            if response != previous:
                return response
        return response

    def give(self, position):
        """The person answers (or changes) one question: the page queues the save, replacing an
        older queued save of the same question."""
        response = self.response_for(position)
        self.current[position] = response
        self.seq += 1
        self.given[self.seq] = (position, response, clock())
        self.queue = [s for s in self.queue if s["position"] != position]
        self.queue.append({"seq": self.seq, "position": position, "response": response, "flagged": False})

    def outgoing(self, batch):
        """The saves as the page sends them: each with how long ago it was given (``age_ms``)."""
        now = clock()
        return [{**s, "age_ms": max(0, int((now - self.given[s["seq"]][2]) * 1000))} for s in batch]

    def flush(self, phase, close):
        """Send the queue as the page does; False after a failure (the retry is scheduled)."""
        while self.queue and not self.stopped:
            batch = self.queue[:SAVE_BATCH]
            status, body, _ = self.call(
                phase,
                "POST save" if len(batch) == 1 else "POST save (batch)",
                "POST",
                f"/attempt/{self.attempt_id}/save",
                payload={"token": self.token, "saves": self.outgoing(batch)},
                close=close and len(self.queue) <= SAVE_BATCH,
            )
            reply = self.json_of(status, body)
            if status == 200 and reply and reply.get("status") == "saved":
                by = "app" if "Content-Security-Policy" in self.reply_headers else "lean path"
                self.day.saves_answered_by[(by, "one answer" if len(batch) == 1 else "batch")] += 1
                done = set(reply.get("acked", ())) | set(reply.get("stale", ()))
                if not done & {s["seq"] for s in batch}:
                    raise RuntimeError(f"a save reply that acknowledges nothing: {reply}")
                now = clock()
                for seq in done:
                    self.acked.setdefault(seq, now)
                self.queue = [s for s in self.queue if s["seq"] not in done]
                self.backoff = 1.0
                if isinstance(reply.get("seconds_left"), int):
                    self.deadline, self.last_sync = now + reply["seconds_left"], now
                continue
            if status == 409 and reply:
                self.stopped = reply.get("reason", "refused")
                return False
            if status == 400 and reply:
                self.dropped.extend(s["seq"] for s in batch)
                self.queue = [s for s in self.queue if s not in batch]
                continue
            self.failed_saves += 1
            self.save_retries += 1
            self.retry_at = clock() + self.backoff
            self.backoff = min(self.backoff * 2, 30.0)
            return False
        return True

    def idle(self, signal):
        """The attempt page waits for the conductor's signal, still asking for its state."""
        while not signal.is_set():
            if not self.resync("idle", close=True):
                signal.wait(timeout=max(0.0, self.next_tick - clock()) if self.day.poll_seconds else None)

    def resync(self, phase, close):
        """The exam page's resync: every 30 s, ask for the state unless a reply gave the time in the last 29 s."""
        poll_seconds, now = self.day.poll_seconds, clock()
        if not poll_seconds or now < self.next_tick:
            return False
        while self.next_tick <= now:
            self.next_tick += poll_seconds
        if now - self.last_sync < poll_seconds - 1:
            return False
        self.poll(phase, close)
        return True

    def poll(self, phase, close):
        status, body, _ = self.call(
            phase, "GET state", "GET", f"/attempt/{self.attempt_id}/state?token={self.token}", page=True, close=close
        )
        reply = self.json_of(status, body)
        if status == 200 and reply:
            if reply.get("state") != "in_progress":
                self.stopped = "closed"
            elif reply.get("taken_over"):
                self.stopped = "taken_over"
            else:
                self.last_sync = clock()
                self.deadline = self.last_sync + reply["seconds_left"]

    def plan(self):
        """When this person answers what: every question once, in order, and some changed later."""
        day = self.day
        positions = sorted(self.paper)[: day.answers]
        order = list(positions)
        for _ in range(round(len(positions) * day.changes)):
            position = self.rng.choice(positions)
            order.insert(self.rng.randint(order.index(position) + 1, len(order)), position)
        interval = day.people / day.save_rate
        # the whole city keeps to the offered rate; one whom a slow start left less time
        # answers faster, so as to be done 15 s before handing in
        available = self.deadline - self.hands_in_early - 15 - day.save_at
        interval = max(0.05, min(interval, available / (len(order) + 1)))
        moment = day.save_at + self.rng.uniform(0, interval)
        times = []
        for _ in order:
            times.append(moment)
            moment += interval * self.rng.uniform(0.5, 1.5)
        return list(zip(times, order, strict=True)), interval

    def answer_paper(self):
        day = self.day
        plan, interval = self.plan()
        close = interval > IDLE_CLOSE_SECONDS
        next_answer = 0
        while (next_answer < len(plan) or self.queue) and not self.stopped:
            now = clock()
            if now >= self.deadline - self.hands_in_early or now > day.hard_stop:
                break  # time to hand in: the page's submit takes what is still queued
            while next_answer < len(plan) and plan[next_answer][0] <= now:
                self.give(plan[next_answer][1])
                next_answer += 1
            if self.queue and now >= self.retry_at:
                self.flush("save", close)
                continue
            if self.resync("save", close):
                continue
            wake = min(
                plan[next_answer][0] if next_answer < len(plan) else float("inf"),
                self.retry_at if self.queue else float("inf"),
                self.next_tick if day.poll_seconds else float("inf"),
                self.deadline - self.hands_in_early,
            )
            gevent.sleep(max(0.0, wake - clock()))
        self.unanswered = len(plan) - next_answer

    def wait_to_hand_in(self):
        """The page stays open (asking for its state) until the person hands in, in the last minute."""
        day = self.day
        while not self.stopped:
            now, moment = clock(), self.deadline - self.hands_in_early
            if now >= moment or now > day.hard_stop:
                return
            if self.resync("save", close=True):
                continue
            wake = moment if not day.poll_seconds else min(moment, self.next_tick)
            gevent.sleep(max(0.0, wake - clock()))

    def submit(self):
        """Hand in with what is queued (the page's finish); retried every 3 s as the page does."""
        day = self.day
        while not self.stopped and clock() < day.hard_stop:
            self.submit_tries += 1
            batch = self.queue[:SUBMIT_BATCH]
            status, body, _ = self.call(
                "submit",
                "POST submit",
                "POST",
                f"/attempt/{self.attempt_id}/submit",
                payload={"token": self.token, "saves": self.outgoing(batch)},
            )
            reply = self.json_of(status, body)
            if status == 200 and reply and reply.get("status") == "submitted":
                self.handed_in.update(s["seq"] for s in batch)
                self.queue = self.queue[len(batch) :]
                self.submitted = True
                self.call("submit", "GET result", "GET", reply["result_url"], close=True)
                return
            if status == 409 and reply:
                self.stopped = reply.get("reason", "refused")
                return
            gevent.sleep(3.0)
