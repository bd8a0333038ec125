#!/usr/bin/env python3
"""Concurrent writers and crash safety (SECURITY.md 10-12), against real processes.

On a private, throwaway PostgreSQL cluster (so that killing it disturbs nothing else):
  1. two server instances on one database; 50 clients update the same organization, agenda,
     proposal and action item with If-Match: exactly one winner per version, the rest 412,
     and the winner's change is the one stored; an idempotent POST retried from both
     instances at once creates one object;
  2. a write load, kill -9 of a server mid-load, restart: every acknowledged write is there,
     with its audit row, and agendas stay dense;
  3. the same with an immediate shutdown of PostgreSQL mid-load;
  4. a torture run: 32 clients on both instances, a bounded mix of conflicting operations on
     the same objects (agenda edits, deletes, reorders and additions, session transitions and
     cancellation, endorsements while members are removed and re-added, proposal transitions,
     action-item updates, participant edits, a compromise in the middle): no 5xx, both
     servers alive, and every invariant of DOMAIN.md holding afterwards.
Loopback only; every loop is bounded in count and time. Prints 'N passed, N failed'.
"""
import concurrent.futures
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(subprocess.check_output(["swift", "build", "--show-bin-path"], cwd=ROOT, text=True).strip(), "dialogue-admin")
RESULTS = {"passed": 0, "failed": 0}


def check(condition, message):
    if condition:
        RESULTS["passed"] += 1
        print(f"  ok: {message}")
    else:
        RESULTS["failed"] += 1
        print(f"  FAIL: {message}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_bindir():
    try:
        path = subprocess.check_output(["pg_config", "--bindir"], text=True).strip()
        if os.path.exists(os.path.join(path, "initdb")):
            return path
    except (OSError, subprocess.CalledProcessError):
        pass
    versions = sorted(int(v) for v in os.listdir("/usr/lib/postgresql") if v.isdigit())
    return f"/usr/lib/postgresql/{versions[-1]}/bin"


def as_owner(args, **kwargs):
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--"] + args
    return subprocess.run(args, cwd="/", check=True, stdout=subprocess.DEVNULL, **kwargs)


class Cluster:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="dialogue-faults.")
        os.chmod(self.dir, 0o755)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        self.bin = pg_bindir()
        as_owner([f"{self.bin}/initdb", "-D", self.data, "-U", "faults", "--auth=trust"], stderr=subprocess.DEVNULL)
        self.start()
        subprocess.run(["psql", "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U", "faults", "-d", "postgres",
                        "-c", "CREATE DATABASE dialogue"], check=True)
        self.url = f"postgres://faults@127.0.0.1:{self.port}/dialogue?sslmode=disable"

    def start(self):
        as_owner([f"{self.bin}/pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "pg.log"), "-w", "-o",
                  f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories='{self.dir}'", "start"])

    def crash(self):
        as_owner([f"{self.bin}/pg_ctl", "-D", self.data, "-m", "immediate", "stop"])

    def sql(self, query):
        out = subprocess.check_output(["psql", "-tA", self.url, "-c", query], text=True)
        return [line for line in out.splitlines() if line]

    def close(self):
        try:
            self.crash()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


class Server:
    def __init__(self, cluster):
        self.port = free_port()
        self.cluster = cluster
        self.start()

    def start(self):
        env = dict(os.environ, DATABASE_URL=self.cluster.url, DIALOGUE_LOG_LEVEL="warning")
        self.process = subprocess.Popen([BIN, "serve", "--host", "127.0.0.1", "--port", str(self.port)], env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if request(self.port, "GET", "/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not become ready")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=15)


def request(port, method, path, body=None, token=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    all_headers = dict(headers or {})
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        all_headers["Content-Type"] = "application/json"
    connection.request(method, path, body=data, headers=all_headers)
    response = connection.getresponse()
    payload = response.read()
    connection.close()
    try:
        parsed = json.loads(payload) if payload else None
    except ValueError:
        parsed = None
    return response.status, parsed, {k.lower(): v for k, v in response.getheaders()}


def cli(cluster, *args):
    env = dict(os.environ, DATABASE_URL=cluster.url)
    return subprocess.check_output([BIN, *args], env=env, text=True, stderr=subprocess.DEVNULL).strip()


def race(servers, token, count, make_request):
    """Runs `count` requests at once, alternating instances; returns the statuses."""
    barrier = threading.Barrier(count)

    def one(index):
        barrier.wait(timeout=30)
        return make_request(servers[index % len(servers)].port, index)

    with concurrent.futures.ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def concurrent_writers(cluster, servers, token, author_token):
    print("concurrent writers, two instances, 50 clients each race:")
    a = servers[0].port
    status, org, headers = request(a, "POST", "/v1/organizations", {"name": "Race org", "side": "partner"}, token)
    etag = headers["etag"]
    results = race(servers, token, 50, lambda port, i: (i, request(port, "PATCH", f"/v1/organizations/{org['id']}",
                                                                     {"name": f"Race org {i}"}, token, {"If-Match": etag})[0]))
    winners = [i for i, s in results if s == 200]
    check(len(winners) == 1 and sum(1 for _, s in results if s == 412) == 49, f"organization: one 200, 49 × 412 ({sorted(s for _, s in results)[:3]}…)")
    stored = request(a, "GET", f"/v1/organizations/{org['id']}", token=token)[1]
    check(winners and stored["name"] == f"Race org {winners[0]}" and stored["version"] == 2, "organization: the winner's change is the one stored")

    group = request(a, "POST", "/v1/working-groups", {"direction": "media", "name": "Race group"}, token)[1]
    session = request(a, "POST", "/v1/sessions", {"kind": "working_group", "working_group_id": group["id"], "title": "Race",
                                                 "starts_at": "2027-05-01T10:00:00Z", "ends_at": "2027-05-01T11:00:00Z", "timezone": "UTC"}, token)[1]
    for n in range(10):
        request(a, "POST", f"/v1/sessions/{session['id']}/agenda", {"title": f"Item {n}", "duration_minutes": 5}, token)
    _, agenda, headers = request(a, "GET", f"/v1/sessions/{session['id']}/agenda", token=token)
    ids = [item["id"] for item in agenda["items"]]
    orders = {i: random.Random(i).sample(ids, len(ids)) for i in range(50)}
    results = race(servers, token, 50, lambda port, i: (i, request(port, "PUT", f"/v1/sessions/{session['id']}/agenda/order",
                                                                     {"ids": orders[i]}, token, {"If-Match": headers["etag"]})[0]))
    winners = [i for i, s in results if s == 200]
    check(len(winners) == 1 and sum(1 for _, s in results if s == 412) == 49, "agenda reorder: one 200, 49 × 412")
    final = request(a, "GET", f"/v1/sessions/{session['id']}/agenda", token=token)[1]["items"]
    check([item["position"] for item in final] == list(range(1, 11)), "agenda: positions stay 1..n")
    check(winners and [item["id"] for item in final] == orders[winners[0]], "agenda: the winner's order is the one stored")

    owner = cli(cluster, "participant", "add", "--name", "Owner", "--kind", "diaspora")
    action = request(a, "POST", "/v1/action-items", {"working_group_id": group["id"], "title": "Race item", "owner_id": owner,
                                                     "due_on": "2027-06-01"}, token)[1]
    results = race(servers, token, 50, lambda port, i: (i, request(port, "PATCH", f"/v1/action-items/{action['id']}",
                                                                     {"progress": i + 1}, token, {"If-Match": '"1"'})[0]))
    winners = [i for i, s in results if s == 200]
    stored = request(a, "GET", f"/v1/action-items/{action['id']}", token=token)[1]
    check(len(winners) == 1 and stored["progress"] == winners[0] + 1 and sum(1 for _, s in results if s == 412) == 49,
          "action item: one winner, its progress stored, 49 × 412")

    me = request(a, "GET", "/v1/me", token=author_token)[1]["participant"]["id"]
    request(a, "PUT", f"/v1/working-groups/{group['id']}/members/{me}", {"role": "member"}, token)
    proposal = request(a, "POST", "/v1/proposals", {"working_group_id": group["id"], "title": "Race draft", "kind": "other",
                                                    "scale": "small"}, author_token)[1]
    results = race(servers, author_token, 50, lambda port, i: (i, request(port, "PATCH", f"/v1/proposals/{proposal['id']}",
                                                                            {"title": f"Draft {i}"}, author_token, {"If-Match": '"1"'})[0]))
    winners = [i for i, s in results if s == 200]
    stored = request(a, "GET", f"/v1/proposals/{proposal['id']}", token=author_token)[1]
    check(len(winners) == 1 and stored["title"] == f"Draft {winners[0]}" and sum(1 for _, s in results if s == 412) == 49,
          "proposal: one winner, its title stored, 49 × 412")

    key = f"retry-{uuid.uuid4()}"
    results = race(servers, token, 20, lambda port, i: request(port, "POST", "/v1/organizations", {"name": "Once only", "side": "partner"},
                                                              token, {"Idempotency-Key": key}))
    created = {r[1]["id"] for r in results if r[0] == 201}
    rows = cluster.sql("SELECT count(*) FROM organizations WHERE name = 'Once only'")
    replayed = sum(1 for r in results if r[0] == 201 and r[2].get("idempotent-replayed") == "true")
    check(rows == ["1"] and len(created) == 1 and all(r[0] in (201, 409) for r in results)
          and replayed == [r[0] for r in results].count(201) - 1,
          f"idempotent POST from both instances: one object (1 × 201, {replayed} × the replay of it, "
          f"{[r[0] for r in results].count(409)} × 409 while it ran)")


def statelessness(cluster, servers, token):
    """Everything one instance issues works on the other; a revocation on one is immediate on both."""
    print("two instances, one database (stateless instances):")
    a, b = servers[0].port, servers[1].port
    me = request(a, "GET", "/v1/me", token=token)[1]["participant"]["id"]
    minted = request(a, "POST", f"/v1/participants/{me}/tokens", {"role": "coordinator", "label": "on A"}, token)[1]
    check(request(b, "GET", "/v1/me", token=minted["token"])[0] == 200, "a token minted on A works on B")
    key = f"stateless-{uuid.uuid4()}"
    first = request(a, "POST", "/v1/organizations", {"name": "Stateless org", "side": "movement"}, token, {"Idempotency-Key": key})
    replay = request(b, "POST", "/v1/organizations", {"name": "Stateless org", "side": "movement"}, token, {"Idempotency-Key": key})
    check(first[0] == 201 and replay[0] == 201 and replay[1]["id"] == first[1]["id"] and replay[2].get("idempotent-replayed") == "true",
          "an idempotency key used on A replays on B")
    etag = request(a, "GET", f"/v1/organizations/{first[1]['id']}", token=token)[2]["etag"]
    check(request(b, "PATCH", f"/v1/organizations/{first[1]['id']}", {"country": "LT"}, token, {"If-Match": etag})[0] == 200,
          "an ETag from A is honoured on B")
    check(request(a, "PATCH", f"/v1/organizations/{first[1]['id']}", {"country": "PL"}, token, {"If-Match": etag})[0] == 412,
          "and the same, now stale, ETag is refused on A")
    for n in range(5):
        request(a, "POST", "/v1/organizations", {"name": f"Paged {n}", "side": "partner"}, token)
    seen, cursor, hops = [], None, 0
    while hops < 20:
        port = a if hops % 2 == 0 else b
        query = "/v1/organizations?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = request(port, "GET", query, token=token)[1]
        seen += [item["id"] for item in page["items"]]
        cursor, hops = page.get("next_cursor"), hops + 1
        if not cursor:
            break
    total = int(cluster.sql("SELECT count(*) FROM organizations")[0])
    check(len(seen) == total and len(set(seen)) == total, f"cursors from one instance page on the other ({len(seen)} of {total})")
    request(a, "DELETE", f"/v1/participants/{me}/tokens/{minted['id']}", token=token)
    check(request(b, "GET", "/v1/me", token=minted["token"])[0] == 401, "a token revoked on A is refused on B at once")


def write_load(port, token, group_id, acknowledged, stop, failures, limit=2000):
    """Creates sessions, each with two agenda items; records what was acknowledged. A writer
    that meets anything but a refused or cut connection records it instead of dying silently."""
    try:
        write_load_steps(port, token, group_id, acknowledged, stop, limit)
    except Exception as error:  # noqa: BLE001 - reported as a failed check, not swallowed
        failures.append(f"{error.__class__.__name__}: {error}")


def write_load_steps(port, token, group_id, acknowledged, stop, limit):
    n = 0
    me = None
    while not stop.is_set() and n < limit:
        n += 1
        try:
            status, session, _ = request(port, "POST", "/v1/sessions", {
                "kind": "working_group", "working_group_id": group_id, "title": f"Load {n}",
                "starts_at": "2027-07-01T10:00:00Z", "ends_at": "2027-07-01T11:00:00Z", "timezone": "UTC"}, token)
            if status != 201:
                continue
            acknowledged.append(("session", session["id"]))
            status, _, _ = request(port, "PATCH", f"/v1/sessions/{session['id']}", {"title": f"Load {n} updated"}, token)
            if status == 200:
                acknowledged.append(("renamed", session["id"]))
            for k in range(2):
                status, item, _ = request(port, "POST", f"/v1/sessions/{session['id']}/agenda",
                                          {"title": f"Point {k}", "duration_minutes": 5, "position": 1}, token)
                if status == 201:
                    acknowledged.append(("agenda_item", item["id"]))
            # A keyed create commits without waiting for the disk and is acknowledged only
            # once its kept response is on disk (AuditLog.SingleStatement): it must survive too.
            me = me or request(port, "GET", "/v1/me", token=token)[1]["participant"]["id"]
            status, action, _ = request(port, "POST", "/v1/action-items", {
                "working_group_id": group_id, "title": f"Follow up {n}", "owner_id": me, "due_on": "2027-07-31"},
                token, {"Idempotency-Key": f"load-{uuid.uuid4()}"})
            if status == 201:
                acknowledged.append(("action_item", action["id"]))
        except (OSError, http.client.HTTPException):
            time.sleep(0.05)


def verify_load(cluster, acknowledged, label):
    sessions = [i for kind, i in acknowledged if kind == "session"]
    items = [i for kind, i in acknowledged if kind == "agenda_item"]
    renamed = [i for kind, i in acknowledged if kind == "renamed"]
    titles = dict(line.split("|", 1) for line in cluster.sql("SELECT id, title FROM sessions"))
    check(all(titles.get(i, "").endswith(" updated") for i in renamed), f"{label}: every acknowledged update ({len(renamed)}) is stored")
    present_sessions = set(cluster.sql("SELECT id FROM sessions"))
    present_items = set(cluster.sql("SELECT id FROM agenda_items"))
    actions = [i for kind, i in acknowledged if kind == "action_item"]
    present_actions = set(cluster.sql("SELECT object_id FROM audit_log WHERE action = 'action_item.create'"))
    check(len(acknowledged) > 1000 and len(actions) > 100, f"{label}: {len(acknowledged)} writes were acknowledged before the crash, {len(actions)} keyed creates")
    check(all(s in present_sessions for s in sessions) and all(i in present_items for i in items),
          f"{label}: every acknowledged write is present after restart")
    check(all(i in present_actions for i in actions) and set(cluster.sql("SELECT id FROM action_items")) >= set(actions),
          f"{label}: every acknowledged keyed create is present after restart, with its audit row")
    orphans = cluster.sql("""SELECT count(*) FROM sessions s WHERE NOT EXISTS
                             (SELECT 1 FROM audit_log a WHERE a.object_id = s.id::text AND a.action = 'session.create')""")
    check(orphans == ["0"], f"{label}: no session without its audit row")
    gaps = cluster.sql("""SELECT count(*) FROM (SELECT session_id, count(*) n, max(position) m, min(position) lo
                          FROM agenda_items GROUP BY session_id) x WHERE n <> m OR lo <> 1""")
    check(gaps == ["0"], f"{label}: every agenda is dense")
    chain = subprocess.run([BIN, "audit", "verify"], env=dict(os.environ, DATABASE_URL=cluster.url), capture_output=True, text=True)
    check(chain.returncode == 0, f"{label}: the audit chain verifies ({chain.stdout.strip()[:40]})")


def load_until(port, token, group_id, crash, settle=0, join_timeout=30):
    """Four writers on one server for 9 s, then `crash()`; returns what was acknowledged."""
    acknowledged, stop, failures = [], threading.Event(), []
    loaders = [threading.Thread(target=write_load, args=(port, token, group_id, acknowledged, stop, failures)) for _ in range(4)]
    for loader in loaders:
        loader.start()
    time.sleep(9)
    crash()
    time.sleep(settle)
    stop.set()
    for loader in loaders:
        loader.join(timeout=join_timeout)
    check(not failures, f"every writer ran to the end ({failures[:2]})")
    check(not any(loader.is_alive() for loader in loaders), "every writer stopped when told")
    return acknowledged


def crash_safety(cluster, servers, token):
    group = request(servers[0].port, "POST", "/v1/working-groups", {"direction": "political", "name": "Load group"}, token)[1]
    print("kill -9 of a server mid-load:")
    acknowledged = load_until(servers[0].port, token, group["id"], servers[0].kill)
    servers[0].start()
    verify_load(cluster, acknowledged, "kill -9")

    print("immediate shutdown of PostgreSQL mid-load:")
    acknowledged = load_until(servers[1].port, token, group["id"], cluster.crash, settle=1, join_timeout=60)
    cluster.start()
    deadline = time.time() + 20
    while time.time() < deadline and request(servers[1].port, "GET", "/readyz")[0] != 200:
        time.sleep(0.2)
    verify_load(cluster, acknowledged, "PostgreSQL crash")


def torture(cluster, servers, token):
    """Conflicting operations on the same few objects from 32 clients on two instances."""
    print("torture: 32 clients, two instances, conflicting operations on the same objects:")
    a = servers[0].port

    def member(name):
        pid = cli(cluster, "participant", "add", "--name", name, "--kind", "diaspora")
        return pid, cli(cluster, "token", "issue", "--participant", pid, "--role", "member")

    group = request(a, "POST", "/v1/working-groups", {"direction": "accountability", "name": "Torture group"}, token)[1]
    g = group["id"]
    members = [member(f"Torture member {n}") for n in range(4)]
    victim = member("Torture victim")
    for pid, _ in members + [victim]:
        request(a, "PUT", f"/v1/working-groups/{g}/members/{pid}", {"role": "member"}, token)
    author_id, author_token = members[0]
    proposals = []
    for n in range(6):
        p = request(a, "POST", "/v1/proposals", {"working_group_id": g, "title": f"Torture proposal {n}", "kind": "policy",
                                                 "scale": "small"}, author_token)[1]
        request(a, "POST", f"/v1/proposals/{p['id']}/transition", {"to": "submitted"}, author_token)
        if n < 4:
            request(a, "POST", f"/v1/proposals/{p['id']}/transition", {"to": "under_review"}, token)
            request(a, "POST", f"/v1/proposals/{p['id']}/transition", {"to": "accepted"}, token)
        proposals.append(p["id"])
    sessions = []
    for n in range(3):
        sessions.append(request(a, "POST", "/v1/sessions", {
            "kind": "working_group", "working_group_id": g, "title": f"Torture session {n}",
            "starts_at": f"2027-0{n + 4}-01T10:00:00Z", "ends_at": f"2027-0{n + 4}-01T12:00:00Z", "timezone": "UTC"}, token)[1]["id"])
    for n in range(6):
        body = {"title": f"Point {n}", "duration_minutes": 10}
        if n < 2:
            body["proposal_id"] = proposals[n]
        request(a, "POST", f"/v1/sessions/{sessions[0]}/agenda", body, token)
    actions = [request(a, "POST", "/v1/action-items", {"working_group_id": g, "title": f"Torture action {n}",
                                                        "owner_id": members[1][0], "due_on": "2027-09-01"}, token)[1]["id"]
               for n in range(3)]

    def agenda_ids(port, session):
        status, agenda, headers = request(port, "GET", f"/v1/sessions/{session}/agenda", token=token)
        return ([item["id"] for item in agenda["items"]], headers.get("etag")) if status == 200 else ([], None)

    def operation(port, rng, step):
        kind = rng.randrange(13)
        session = rng.choice(sessions)
        if kind == 0:
            ids, _ = agenda_ids(port, session)
            return request(port, "PATCH", f"/v1/agenda-items/{rng.choice(ids)}", {"title": f"Edit {step}"}, token)[0] if ids else 0
        if kind == 1:
            ids, _ = agenda_ids(port, session)
            return request(port, "DELETE", f"/v1/agenda-items/{rng.choice(ids)}", token=token)[0] if ids else 0
        if kind == 2:
            ids, etag = agenda_ids(port, session)
            rng.shuffle(ids)
            return request(port, "PUT", f"/v1/sessions/{session}/agenda/order", {"ids": ids}, token,
                           {"If-Match": etag} if etag and rng.random() < 0.5 else {})[0]
        if kind == 3:
            body = {"title": f"Added {step}", "duration_minutes": 5, "position": 1}
            if rng.random() < 0.6:
                body["proposal_id"] = rng.choice(proposals)
            return request(port, "POST", f"/v1/sessions/{session}/agenda", body, token)[0]
        if kind == 4:
            target = rng.choice(["confirmed", "cancelled", "planned", "held"])
            return request(port, "POST", f"/v1/sessions/{rng.choice(sessions[1:])}/transition", {"to": target}, token)[0]
        if kind in (5, 6):
            pid, member_token = rng.choice(members[1:] + [victim])
            method = "PUT" if kind == 5 else "DELETE"
            return request(port, method, f"/v1/proposals/{rng.choice(proposals)}/endorsements", token=member_token)[0]
        if kind == 7:
            pid, _ = rng.choice(members[1:])
            if rng.random() < 0.5:
                return request(port, "DELETE", f"/v1/working-groups/{g}/members/{pid}", token=token)[0]
            return request(port, "PUT", f"/v1/working-groups/{g}/members/{pid}", {"role": rng.choice(["member", "observer"])}, token)[0]
        if kind == 8:
            target = rng.choice(["under_review", "accepted", "declined"])
            return request(port, "POST", f"/v1/proposals/{rng.choice(proposals)}/transition", {"to": target}, token)[0]
        if kind == 9:
            return request(port, "PATCH", f"/v1/action-items/{rng.choice(actions)}",
                           {"progress": rng.randrange(0, 100), "status": "in_progress"}, token)[0]
        if kind == 10:
            return request(port, "POST", f"/v1/action-items/{rng.choice(actions)}/updates",
                           {"status": rng.choice(["in_progress", "blocked"]), "note": f"step {step}"}, members[1][1])[0]
        if kind == 11:
            pid, _ = rng.choice(members[1:])
            return request(port, "PATCH", f"/v1/participants/{pid}", {"display_name": f"Renamed {step}"}, token)[0]
        ids, _ = agenda_ids(port, sessions[0])
        if ids:
            return request(port, "PATCH", f"/v1/agenda-items/{rng.choice(ids)}", {"presenter_id": rng.choice(members)[0]}, token)[0]
        return 0

    statuses, lock = [], threading.Lock()
    compromised = threading.Event()

    def client(index):
        rng = random.Random(index)
        port = servers[index % 2].port
        for step in range(30):
            if index == 0 and step == 15:
                code = request(port, "POST", f"/v1/participants/{victim[0]}/compromise", {"reason": "torture drill"}, token)[0]
                compromised.set()
            else:
                try:
                    code = operation(port, rng, step)
                except (OSError, http.client.HTTPException) as error:
                    code = f"connection: {error.__class__.__name__}"
            with lock:
                statuses.append(code)

    started = time.time()
    with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
        list(pool.map(client, range(32)))
    elapsed = time.time() - started
    counts = {}
    for code in statuses:
        counts[code] = counts.get(code, 0) + 1
    print(f"  {len(statuses)} requests in {elapsed:.1f} s: {dict(sorted(counts.items(), key=str))}")
    server_errors = [c for c in statuses if not isinstance(c, int) or c >= 500]
    check(not server_errors, f"no 5xx and no dropped connection ({len(server_errors)})")
    check(all(server.process.poll() is None for server in servers), "both servers are still running")
    check(compromised.is_set() and request(a, "GET", "/v1/me", token=victim[1])[0] == 401,
          "the participant compromised mid-run is refused on its next request")
    gaps = cluster.sql("""SELECT count(*) FROM (SELECT session_id, count(*) n, max(position) m, min(position) lo
                          FROM agenda_items GROUP BY session_id) x WHERE n <> m OR lo <> 1""")
    check(gaps == ["0"], "every agenda is dense (positions 1..n)")
    pending = cluster.sql("""SELECT count(*) FROM (SELECT i.proposal_id FROM agenda_items i JOIN sessions s ON s.id = i.session_id
                             WHERE i.proposal_id IS NOT NULL AND i.outcome IS NULL AND i.corrects_item_id IS NULL
                               AND s.status <> 'cancelled'
                             GROUP BY i.proposal_id HAVING count(*) > 1) x""")
    check(pending == ["0"], "a proposal waits on at most one agenda")
    scheduled = cluster.sql("""SELECT count(*) FROM proposals p WHERE (p.status = 'scheduled') <> EXISTS (
                                 SELECT 1 FROM agenda_items i JOIN sessions s ON s.id = i.session_id
                                 WHERE i.proposal_id = p.id AND i.outcome IS NULL AND s.status <> 'cancelled')""")
    check(scheduled == ["0"], "a proposal is 'scheduled' exactly when it waits on an agenda")
    strays = cluster.sql("""SELECT count(*) FROM endorsements e JOIN proposals p ON p.id = e.proposal_id
                            WHERE NOT EXISTS (SELECT 1 FROM memberships m WHERE m.working_group_id = p.working_group_id
                                              AND m.participant_id = e.participant_id AND m.role <> 'observer')""")
    check(strays == ["0"], "every endorsement is by a contributing member of the proposal's group")
    chain = subprocess.run([BIN, "audit", "verify"], env=dict(os.environ, DATABASE_URL=cluster.url), capture_output=True, text=True)
    check(chain.returncode == 0, f"the audit chain verifies ({chain.stdout.strip()[:40]})")


def main():
    cluster = Cluster()
    servers = []
    try:
        servers = [Server(cluster), Server(cluster)]
        admin = cli(cluster, "participant", "add", "--name", "Faults admin", "--kind", "official")
        token = cli(cluster, "token", "issue", "--participant", admin, "--role", "admin")
        author = cli(cluster, "participant", "add", "--name", "Author", "--kind", "diaspora")
        author_token = cli(cluster, "token", "issue", "--participant", author, "--role", "member")
        statelessness(cluster, servers, token)
        concurrent_writers(cluster, servers, token, author_token)
        torture(cluster, servers, token)
        crash_safety(cluster, servers, token)
    finally:
        for server in servers:
            try:
                server.stop()
            except Exception:
                server.kill()
        cluster.close()
    print(f"{RESULTS['passed']} passed, {RESULTS['failed']} failed")
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
