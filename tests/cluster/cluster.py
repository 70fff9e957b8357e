"""Harness for the cluster tests: real raft-server processes on loopback.

The cluster tests check the real world (raft-server on a real clock, real
files and real gRPC) the way a user meets it: separate processes, each with
its own port and data directory, driven by a grpcio client. The simulator
checks the protocol; these tests check the wiring around it (flags, the
handshake that discovers peer ids, forwarding, validation, durability across
process restarts, signals, start-up errors).

How it works:

- The Python stubs are generated at import time from proto/raft.proto with
  grpc_tools.protoc into a temporary directory (nothing generated is checked
  in). Minimal copies of grpc.health.v1 and grpc.reflection.v1alpha are
  generated next to them, since Debian ships no grpcio-health-checking.
- Ports are picked by binding 127.0.0.1:0 and closing the socket; data
  directories and logs live in one tempfile.mkdtemp() directory per Cluster,
  removed by Cluster.close() (set RAFT_CLUSTER_KEEP=1 to keep it).
- Every node runs exactly as
    raft-server --node-id node1 --port P1 --peers localhost:P2,localhost:P3
                --data-dir D1 --heartbeat-ms 50 --election-ms 500
                --log-level info
  with stdout and stderr appended to <dir>/node1.log. Cluster(peer_ports=True)
  gives each node a second port (--peer-port) that --peers lists; a node's
  extra_args are appended to its command line (TLS flags, for example);
  Cluster(credentials=...) makes the harness's client channels TLS.
- Every process the harness starts is recorded by pid and ended (SIGTERM,
  then SIGKILL after a grace period) by Cluster.close(), by an atexit hook,
  and by a SIGTERM/SIGHUP handler, even when a test fails.
- ClusterTestCase prints the tail of every node's log for a failing test.

Binaries come from $RAFT_SERVER and $RAFTCTL (set by ctest), falling back to
build/cmd/raft-server and build/cmd/raftctl in the repository.

Run with Debian's interpreter, which has grpcio: /usr/bin/python3.
Threading: single-threaded use only (one test thread drives a Cluster).
"""

import atexit
import importlib
import os
import pathlib
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

try:
    import grpc
except ImportError:  # pragma: no cover - environment problem, not a test
    sys.stderr.write(
        "cluster tests need grpcio; run them with /usr/bin/python3 (Debian's "
        "python3-grpcio), not %s\n" % sys.executable)
    raise

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]

# Timing used by every cluster (what the task prescribes).
HEARTBEAT_MS = 50
ELECTION_MS = 500

# Generous bounds for a loaded 2-core machine (or a sanitizer build).
LEADER_TIMEOUT_S = 10.0
RPC_TIMEOUT_S = 5.0
STOP_TIMEOUT_S = 10.0
KILL_GRACE_S = 5.0
LOG_TAIL_LINES = 40

TRANSIENT_CODES = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)

# Fresh connections quickly after a node restarts: the default reconnect
# backoff grows to minutes. A local subchannel pool keeps channels to the
# same address from sharing one backed-off connection. (Not
# min_reconnect_backoff_ms: it is also the connect timeout, and a short one
# cancels handshakes on a loaded machine.)
#
# Every harness call sets wait_for_ready=True: a grpcio channel that failed
# to connect (node down) otherwise fails each later call at once from
# TRANSIENT_FAILURE, and with no call in flight nobody drives the reconnect's
# handshake, so the channel can stay broken long after the node is back.
# With wait_for_ready a call waits (up to its deadline) for the connection.
CHANNEL_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 500),
    ("grpc.use_local_subchannel_pool", 1),
    ("grpc.max_receive_message_length", 16 * 1024 * 1024),
]


def server_binary():
    return os.environ.get("RAFT_SERVER") or str(REPO_ROOT / "build" / "cmd" / "raft-server")


def raftctl_binary():
    return os.environ.get("RAFTCTL") or str(REPO_ROOT / "build" / "cmd" / "raftctl")


# --------------------------------------------------------------------------
# Generated stubs.

_HEALTH_PROTO = """
syntax = "proto3";
package grpc.health.v1;
message HealthCheckRequest { string service = 1; }
message HealthCheckResponse {
  enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; SERVICE_UNKNOWN = 3; }
  ServingStatus status = 1;
}
service Health {
  rpc Check(HealthCheckRequest) returns (HealthCheckResponse);
  rpc Watch(HealthCheckRequest) returns (stream HealthCheckResponse);
}
"""

# The subset of grpc/reflection/v1alpha/reflection.proto needed to list
# services and fetch the files describing a symbol (field numbers as
# upstream; v1 has the same messages).
_REFLECTION_PROTO = """
syntax = "proto3";
package grpc.reflection.v1alpha;
message ServerReflectionRequest {
  string host = 1;
  oneof message_request {
    string file_by_filename = 3;
    string file_containing_symbol = 4;
    string list_services = 7;
  }
}
message FileDescriptorResponse { repeated bytes file_descriptor_proto = 1; }
message ServiceResponse { string name = 1; }
message ListServiceResponse { repeated ServiceResponse service = 1; }
message ErrorResponse { int32 error_code = 1; string error_message = 2; }
message ServerReflectionResponse {
  string valid_host = 1;
  ServerReflectionRequest original_request = 2;
  oneof message_response {
    FileDescriptorResponse file_descriptor_response = 4;
    ListServiceResponse list_services_response = 6;
    ErrorResponse error_response = 7;
  }
}
"""


class _Stubs:
    """The generated modules: raft_pb2, raft_pb2_grpc, health, reflection."""

    def __init__(self):
        out = tempfile.mkdtemp(prefix="raft-cluster-stubs-")
        atexit.register(shutil.rmtree, out, True)
        shutil.copyfile(REPO_ROOT / "proto" / "raft.proto", os.path.join(out, "raft.proto"))
        with open(os.path.join(out, "cluster_health.proto"), "w") as f:
            f.write(_HEALTH_PROTO)
        with open(os.path.join(out, "cluster_reflection.proto"), "w") as f:
            f.write(_REFLECTION_PROTO)
        import grpc_tools
        from grpc_tools import protoc
        well_known = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
        args = ["grpc_tools.protoc", "-I" + out, "-I" + well_known, "--python_out=" + out,
                "--grpc_python_out=" + out, os.path.join(out, "raft.proto"),
                os.path.join(out, "cluster_health.proto"),
                os.path.join(out, "cluster_reflection.proto")]
        rc = protoc.main(args)
        if rc != 0:
            raise RuntimeError("grpc_tools.protoc failed (%d) on %s" % (rc, " ".join(args)))
        sys.path.insert(0, out)
        try:
            self.pb = importlib.import_module("raft_pb2")
            self.pb_grpc = importlib.import_module("raft_pb2_grpc")
            self.health = importlib.import_module("cluster_health_pb2")
            self.health_grpc = importlib.import_module("cluster_health_pb2_grpc")
            self.reflection = importlib.import_module("cluster_reflection_pb2")
        finally:
            sys.path.remove(out)
        self.dir = out


_stubs = None


def stubs():
    """Generates (once per process) and returns the stub modules."""
    global _stubs
    if _stubs is None:
        _stubs = _Stubs()
    return _stubs


# --------------------------------------------------------------------------
# Ports, processes, directories: everything started is ended.


def free_ports(count, host="127.0.0.1"):
    """Distinct free TCP ports: bind host:0, read the port, close.

    All sockets stay open until every port is picked, so the ports differ.
    """
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((host, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def free_port(host="127.0.0.1"):
    return free_ports(1, host)[0]


def open_channel(port, credentials=None):
    """A channel to 127.0.0.1:port, TLS when credentials are given."""
    target = "127.0.0.1:%d" % port
    if credentials is None:
        return grpc.insecure_channel(target, options=CHANNEL_OPTIONS)
    return grpc.secure_channel(target, credentials, options=CHANNEL_OPTIONS)


_live_procs = {}  # pid -> Popen, every process started and not yet reaped
_temp_dirs = set()


def spawn(args, stdout, stderr, cwd):
    """Starts a process and records it by pid for cleanup."""
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                            cwd=cwd)
    _live_procs[proc.pid] = proc
    return proc


def end_process(proc, grace_s=KILL_GRACE_S):
    """SIGTERM, wait grace_s, then SIGKILL; by pid. Returns the exit code."""
    if proc.poll() is None:
        try:
            os.kill(proc.pid, signal.SIGTERM)
            proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        except ProcessLookupError:
            proc.wait()
    _live_procs.pop(proc.pid, None)
    return proc.returncode


def forget_process(proc):
    _live_procs.pop(proc.pid, None)


def _end_all_processes(grace_s=2.0):
    procs = [p for p in _live_procs.values() if p.poll() is None]
    for p in procs:
        try:
            os.kill(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace_s
    for p in procs:
        try:
            p.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            try:
                os.kill(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()
    _live_procs.clear()


def make_temp_dir(prefix):
    path = tempfile.mkdtemp(prefix=prefix)
    _temp_dirs.add(path)
    return path


def remove_temp_dir(path):
    _temp_dirs.discard(path)
    if os.environ.get("RAFT_CLUSTER_KEEP"):
        sys.stderr.write("[cluster] kept %s (RAFT_CLUSTER_KEEP set)\n" % path)
        return
    shutil.rmtree(path, ignore_errors=True)


def _remove_all_temp_dirs():
    for path in list(_temp_dirs):
        remove_temp_dir(path)


def _cleanup_at_exit():
    _end_all_processes()
    _remove_all_temp_dirs()


def _on_fatal_signal(signum, _frame):
    _cleanup_at_exit()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


atexit.register(_cleanup_at_exit)
for _sig in (signal.SIGTERM, signal.SIGHUP):
    signal.signal(_sig, _on_fatal_signal)


def read_tail(path, lines=LOG_TAIL_LINES):
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 64 * 1024))
            data = f.read()
    except OSError as e:
        return "<cannot read %s: %s>" % (path, e)
    text = data.decode("utf-8", errors="replace").splitlines()
    return "\n".join(text[-lines:])


# --------------------------------------------------------------------------
# Polling.


class NotYet(Exception):
    """Raised by a wait_until probe: the condition does not hold yet (why)."""


def wait_until(probe, timeout_s, what, interval_s=0.05):
    """Calls probe() until it returns a truthy value; returns that value.

    probe may raise NotYet(detail) or a transient grpc.RpcError to mean "not
    yet"; any other exception ends the wait. On timeout, raises
    AssertionError naming what was expected and the last detail seen.
    """
    deadline = time.monotonic() + timeout_s
    last = "probe never ran"
    while True:
        try:
            value = probe()
            if value:
                return value
            last = "probe returned %r" % (value,)
        except NotYet as e:
            last = str(e)
        except grpc.RpcError as e:
            if e.code() not in TRANSIENT_CODES:
                raise
            last = rpc_error_text(e)
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1f s waiting for %s; last: %s" %
                                 (timeout_s, what, last))
        time.sleep(interval_s)


def rpc_error_text(e):
    try:
        return "%s: %s" % (e.code().name, e.details())
    except Exception:  # not a call error
        return repr(e)


def is_leader_role(role):
    return "leader" in role.lower()


# --------------------------------------------------------------------------
# Nodes and clusters.


class Node:
    """One raft-server process slot: name, port, data dir, log, process."""

    def __init__(self, name, port, data_dir, log_path, peer_port=None):
        self.name = name
        self.port = port
        self.peer_port = peer_port  # None: peers use port
        self.data_dir = data_dir
        self.log_path = log_path
        self.peer_ports = []  # the other nodes' ports that peers dial
        self.extra_peers = []  # addresses outside this Cluster, listed first in --peers
        self.extra_args = []  # appended to the command line
        self.proc = None
        self.starts = 0

    @property
    def address(self):
        return "localhost:%d" % self.port

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def state(self):
        if self.proc is None:
            return "never started"
        code = self.proc.poll()
        if code is None:
            return "running pid %d" % self.proc.pid
        return "exited with %s (pid %d)" % (describe_exit(code), self.proc.pid)


def describe_exit(code):
    if code is None:
        return "no exit (still running)"
    if code < 0:
        try:
            return "signal %s" % signal.Signals(-code).name
        except ValueError:
            return "signal %d" % -code
    return "code %d" % code


class Cluster:
    """A set of raft-server processes on free loopback ports.

    Nodes are named node1..nodeN (or `names`); those names are the node ids.
    Each node keeps its port, data directory and log across restarts.
    """

    def __init__(self, size=3, binary=None, log_level="info", names=None, peer_ports=False,
                 credentials=None):
        self.binary = binary or server_binary()
        if not os.access(self.binary, os.X_OK):
            raise AssertionError(
                "raft-server binary not found or not executable at %s (build the raft-server "
                "target or set RAFT_SERVER)" % self.binary)
        self.log_level = log_level
        self.credentials = credentials  # for the harness's client channels
        self.base_dir = make_temp_dir("raft-cluster-")
        ports = free_ports(size * 2 if peer_ports else size)
        self.nodes = {}
        names = list(names) if names else ["node%d" % i for i in range(1, size + 1)]
        for i, (name, port) in enumerate(zip(names, ports[:size]), start=1):
            self.nodes[name] = Node(name, port, os.path.join(self.base_dir, name),
                                    os.path.join(self.base_dir, name + ".log"),
                                    peer_port=ports[size + i - 1] if peer_ports else None)
        dialled = [n.peer_port or n.port for n in self.nodes.values()]
        for node in self.nodes.values():
            node.peer_ports = [p for p in dialled if p != (node.peer_port or node.port)]
        self._channels = {}
        self.client_id = random.getrandbits(62) + 1
        self._sequence = 0
        self.closed = False

    # ---- processes

    @property
    def names(self):
        return list(self.nodes)

    def node(self, name):
        return self.nodes[name]

    def args(self, name, node_id=None, extra=()):
        """The exact command line of a node (node_id overrides --node-id)."""
        node = self.nodes[name]
        peer_port = ["--peer-port", str(node.peer_port)] if node.peer_port else []
        return ([self.binary, "--node-id", node_id or name, "--port", str(node.port)] +
                peer_port +
                ["--peers", ",".join(node.extra_peers +
                                     ["localhost:%d" % p for p in node.peer_ports]),
                 "--data-dir", node.data_dir, "--heartbeat-ms", str(HEARTBEAT_MS),
                 "--election-ms", str(ELECTION_MS), "--log-level", self.log_level] +
                list(node.extra_args) + list(extra))

    def start(self, name):
        node = self.nodes[name]
        if node.alive():
            raise AssertionError("%s is already running (pid %d)" % (name, node.proc.pid))
        self._drop_channel(name)
        args = self.args(name)
        node.starts += 1
        with open(node.log_path, "ab") as log:
            log.write(("=== [cluster] start #%d at %s: %s\n" %
                       (node.starts, time.strftime("%H:%M:%S"), " ".join(args))).encode())
            log.flush()
            node.proc = spawn(args, stdout=log, stderr=subprocess.STDOUT, cwd=self.base_dir)
        return node.proc

    def start_all(self, wait_leader=True):
        for name in self.names:
            self.start(name)
        if wait_leader:
            return self.wait_for_leader()
        return None

    def restart(self, name, wait_serving=True):
        """Starts a stopped or killed node again: same flags, same data dir."""
        self.start(name)
        if wait_serving:
            self.wait_serving(name)

    def kill9(self, name):
        node = self.nodes[name]
        if not node.alive():
            raise AssertionError("kill9(%s): not running (%s)" % (name, node.state()))
        self._drop_channel(name)
        os.kill(node.proc.pid, signal.SIGKILL)
        node.proc.wait()
        forget_process(node.proc)
        self._log_note(name, "killed with SIGKILL")

    def stop(self, name, timeout_s=STOP_TIMEOUT_S, sig=signal.SIGTERM):
        """Sends sig (SIGTERM) and requires exit code 0 within timeout_s.

        Returns the seconds from the signal to the exit.
        """
        node = self.nodes[name]
        if not node.alive():
            raise AssertionError("stop(%s): not running (%s)" % (name, node.state()))
        self._drop_channel(name)
        sig_name = signal.Signals(sig).name
        started = time.monotonic()
        os.kill(node.proc.pid, sig)
        try:
            code = node.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.kill(node.proc.pid, signal.SIGKILL)
            node.proc.wait()
            forget_process(node.proc)
            raise AssertionError("%s did not exit within %.1f s of %s (expected a drain and exit "
                                 "0); killed it with SIGKILL" % (name, timeout_s, sig_name))
        elapsed = time.monotonic() - started
        forget_process(node.proc)
        self._log_note(name, "exited with %s %.2f s after %s" %
                       (describe_exit(code), elapsed, sig_name))
        if code != 0:
            raise AssertionError("%s exited with %s after %s, expected code 0" %
                                 (name, describe_exit(code), sig_name))
        return elapsed

    def live_names(self):
        return [n for n, node in self.nodes.items() if node.alive()]

    def check_running(self, names):
        """Fails at once if a node expected to be up has exited."""
        for name in names:
            node = self.nodes[name]
            if not node.alive():
                raise AssertionError("%s is expected to be running but %s" % (name, node.state()))

    def close(self):
        if self.closed:
            return
        self.closed = True
        for name in list(self._channels):
            self._drop_channel(name)
        for node in self.nodes.values():
            if node.proc is not None:
                end_process(node.proc)
        remove_temp_dir(self.base_dir)

    def _log_note(self, name, text):
        with open(self.nodes[name].log_path, "ab") as log:
            log.write(("=== [cluster] %s %s\n" % (time.strftime("%H:%M:%S"), text)).encode())

    # ---- diagnostics

    def describe(self):
        lines = ["cluster dir %s" % self.base_dir]
        for node in self.nodes.values():
            lines.append("  %s port %d: %s" % (node.name, node.port, node.state()))
        return "\n".join(lines)

    def log_tails(self, lines=LOG_TAIL_LINES):
        parts = [self.describe()]
        for node in self.nodes.values():
            parts.append("---- %s: last %d lines of %s (%s)\n%s" %
                         (node.name, lines, node.log_path, node.state(),
                          read_tail(node.log_path, lines)))
        return "\n".join(parts)

    # ---- gRPC

    def channel(self, name):
        ch = self._channels.get(name)
        if ch is None:
            ch = open_channel(self.nodes[name].port, self.credentials)
            self._channels[name] = ch
        return ch

    def _drop_channel(self, name):
        ch = self._channels.pop(name, None)
        if ch is not None:
            ch.close()

    def stub(self, name):
        return stubs().pb_grpc.KeyValueServiceStub(self.channel(name))

    def next_session(self):
        self._sequence += 1
        return (self.client_id, self._sequence)

    def status(self, name, timeout_s=1.0):
        return self.stub(name).GetClusterStatus(stubs().pb.GetClusterStatusRequest(),
                                                timeout=timeout_s, wait_for_ready=True)

    def put(self, name, key, value, timeout_s=RPC_TIMEOUT_S, session=None):
        req = stubs().pb.PutRequest(key=key, value=value)
        if session is not None:
            req.session.client_id, req.session.sequence = session
        return self.stub(name).Put(req, timeout=timeout_s, wait_for_ready=True)

    def get(self, name, key, stale=False, timeout_s=RPC_TIMEOUT_S):
        return self.stub(name).Get(stubs().pb.GetRequest(key=key, stale=stale),
                                   timeout=timeout_s, wait_for_ready=True)

    def delete(self, name, key, timeout_s=RPC_TIMEOUT_S, session=None):
        req = stubs().pb.DeleteRequest(key=key)
        if session is not None:
            req.session.client_id, req.session.sequence = session
        return self.stub(name).Delete(req, timeout=timeout_s, wait_for_ready=True)

    def cas(self, name, key, value, expected=None, timeout_s=RPC_TIMEOUT_S, session=None):
        """CompareAndSwap; expected=None means "expect absent"."""
        req = stubs().pb.CompareAndSwapRequest(key=key, value=value)
        if expected is None:
            req.expect_absent = True
        else:
            req.expected_value = expected
        if session is not None:
            req.session.client_id, req.session.sequence = session
        return self.stub(name).CompareAndSwap(req, timeout=timeout_s, wait_for_ready=True)

    def health(self, name, service="", timeout_s=RPC_TIMEOUT_S):
        s = stubs()
        return s.health_grpc.HealthStub(self.channel(name)).Check(
            s.health.HealthCheckRequest(service=service), timeout=timeout_s, wait_for_ready=True)

    def health_watch(self, name, service="", timeout_s=RPC_TIMEOUT_S):
        """grpc.health.v1.Health/Watch: an iterator of responses (cancel() ends it)."""
        s = stubs()
        return s.health_grpc.HealthStub(self.channel(name)).Watch(
            s.health.HealthCheckRequest(service=service), timeout=timeout_s, wait_for_ready=True)

    def list_services(self, name, timeout_s=RPC_TIMEOUT_S):
        """Service names from server reflection (v1alpha, else v1)."""
        s = stubs().reflection
        last = None
        for version in ("v1alpha", "v1"):
            call = self.channel(name).stream_stream(
                "/grpc.reflection.%s.ServerReflection/ServerReflectionInfo" % version,
                request_serializer=s.ServerReflectionRequest.SerializeToString,
                response_deserializer=s.ServerReflectionResponse.FromString)
            try:
                responses = list(call(iter([s.ServerReflectionRequest(list_services="")]),
                                      timeout=timeout_s, wait_for_ready=True))
            except grpc.RpcError as e:
                if e.code() != grpc.StatusCode.UNIMPLEMENTED:
                    raise
                last = e
                continue
            return sorted(svc.name for r in responses
                          for svc in r.list_services_response.service)
        raise AssertionError("server reflection on %s: neither grpc.reflection.v1alpha nor v1 is "
                             "served (%s)" % (name, rpc_error_text(last)))

    def describe_symbol(self, name, symbol, timeout_s=RPC_TIMEOUT_S):
        """{file name: FileDescriptorProto} that server reflection (v1alpha)
        returns for `symbol`, as grpcurl asks for it."""
        from google.protobuf import descriptor_pb2
        s = stubs().reflection
        call = self.channel(name).stream_stream(
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
            request_serializer=s.ServerReflectionRequest.SerializeToString,
            response_deserializer=s.ServerReflectionResponse.FromString)
        responses = list(call(iter([s.ServerReflectionRequest(file_containing_symbol=symbol)]),
                              timeout=timeout_s, wait_for_ready=True))
        files = {}
        for r in responses:
            for raw in r.file_descriptor_response.file_descriptor_proto:
                fd = descriptor_pb2.FileDescriptorProto.FromString(raw)
                files[fd.name] = fd
        return files

    def call_with_retry(self, fn, timeout_s, what):
        """Calls fn(attempt_timeout_s) until it does not fail transiently."""
        deadline = time.monotonic() + timeout_s
        last = None
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("%s: no success within %.1f s; last error %s" %
                                     (what, timeout_s, last))
            try:
                return fn(min(RPC_TIMEOUT_S, max(remaining, 0.2)))
            except grpc.RpcError as e:
                if e.code() not in TRANSIENT_CODES:
                    raise AssertionError("%s: unexpected %s" % (what, rpc_error_text(e)))
                last = rpc_error_text(e)
            time.sleep(0.1)

    def put_retry(self, name, key, value, timeout_s=15.0):
        """A Put retried with one session (applied once) until it succeeds.

        name=None rotates over the live nodes.
        """
        session = self.next_session()
        attempt = [0]

        def once(t):
            target = name
            if target is None:
                live = self.live_names()
                target = live[attempt[0] % len(live)]
            attempt[0] += 1
            return self.put(target, key, value, timeout_s=t, session=session)

        return self.call_with_retry(once, timeout_s, "Put %r via %s" % (key, name or "any node"))

    def get_retry(self, name, key, stale=False, timeout_s=10.0):
        return self.call_with_retry(
            lambda t: self.get(name, key, stale=stale, timeout_s=t), timeout_s,
            "%s Get %r on %s" % ("stale" if stale else "linearizable", key, name))

    # ---- waiting

    def wait_serving(self, name, timeout_s=LEADER_TIMEOUT_S):
        """Until the node answers GetClusterStatus (fails at once if it exits)."""

        def probe():
            self.check_running([name])
            return self.status(name)

        return wait_until(probe, timeout_s, "%s to answer GetClusterStatus" % name)

    def statuses(self, names, timeout_s=1.0):
        """{name: GetClusterStatusResponse or the RpcError text}."""
        out = {}
        for name in names:
            try:
                out[name] = self.status(name, timeout_s)
            except grpc.RpcError as e:
                out[name] = rpc_error_text(e)
        return out

    @staticmethod
    def summarize(statuses):
        parts = []
        for name, st in statuses.items():
            if isinstance(st, str):
                parts.append("%s: %s" % (name, st))
            else:
                parts.append("%s: id=%s role=%s term=%d leader=%r commit=%d applied=%d" %
                             (name, st.node_id, st.role, st.term, st.leader_id, st.commit_index,
                              st.applied_index))
        return "; ".join(parts)

    def wait_for_leader(self, timeout_s=LEADER_TIMEOUT_S, among=None):
        """Polls GetClusterStatus on the live nodes (or `among`) until all
        agree on one leader_id, that leader is one of them and calls itself
        leader. Returns the leader's name."""
        names = list(among) if among is not None else self.live_names()

        def probe():
            self.check_running(names)
            sts = self.statuses(names)
            summary = self.summarize(sts)
            if any(isinstance(st, str) for st in sts.values()):
                raise NotYet(summary)
            leaders = {st.leader_id for st in sts.values()}
            if len(leaders) != 1 or "" in leaders:
                raise NotYet("no agreement: " + summary)
            leader = leaders.pop()
            if leader not in names:
                raise NotYet("all agree on %r, which is not among %s: %s" %
                             (leader, names, summary))
            if not is_leader_role(sts[leader].role) or sts[leader].node_id != leader:
                raise NotYet("%s does not call itself leader: %s" % (leader, summary))
            return leader

        return wait_until(probe, timeout_s,
                          "nodes %s to agree on a leader among them" % ",".join(names))

    def followers(self, leader):
        return [n for n in self.live_names() if n != leader]


# --------------------------------------------------------------------------
# One-shot processes (start-up failures, raftctl).


class Run:
    """A finished one-shot process: returncode (None if it timed out)."""

    def __init__(self, args, returncode, stdout, stderr, elapsed_s):
        self.args = args
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.elapsed_s = elapsed_s

    def describe(self):
        return ("command: %s\nexit: %s after %.2f s\n---- stdout\n%s\n---- stderr\n%s" %
                (" ".join(self.args), describe_exit(self.returncode) if self.returncode is not None
                 else "none (still running at the deadline; killed)", self.elapsed_s,
                 self.stdout[-4000:], self.stderr[-4000:]))


def run_once(args, timeout_s=10.0, cwd=None):
    """Runs a process to completion (killed at timeout_s), capturing output."""
    work = make_temp_dir("raft-cluster-run-")
    try:
        out_path = os.path.join(work, "stdout")
        err_path = os.path.join(work, "stderr")
        started = time.monotonic()
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            proc = spawn(args, stdout=out, stderr=err, cwd=cwd or work)
            try:
                code = proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                end_process(proc, grace_s=2.0)
                code = None
            forget_process(proc)
        elapsed = time.monotonic() - started
        with open(out_path, "rb") as f:
            stdout = f.read().decode("utf-8", errors="replace")
        with open(err_path, "rb") as f:
            stderr = f.read().decode("utf-8", errors="replace")
        return Run(args, code, stdout, stderr, elapsed)
    finally:
        remove_temp_dir(work)


# --------------------------------------------------------------------------
# Test base class.


def _problem_count(result):
    return len(getattr(result, "failures", ())) + len(getattr(result, "errors", ()))


class ClusterTestCase(unittest.TestCase):
    """Owns clusters and prints every node's log tail when a test fails.

    Per-test clusters come from new_cluster() and are closed after the test;
    a class may share one cluster through start_class_cluster() in
    setUpClass (closed in tearDownClass). Failure detection uses the public
    TestResult.failures/errors lists, checked after tearDown but before the
    per-test clusters (and their logs) are removed.
    """

    _class_clusters = ()

    @classmethod
    def start_class_cluster(cls, **kwargs):
        stubs()
        cluster = Cluster(**kwargs)
        cls._class_clusters = list(cls._class_clusters) + [cluster]
        try:
            cluster.start_all()
        except BaseException:
            sys.stderr.write("\n[cluster] %s.setUpClass failed; node logs:\n%s\n" %
                             (cls.__name__, cluster.log_tails()))
            cluster.close()
            raise
        return cluster

    @classmethod
    def tearDownClass(cls):
        for cluster in cls._class_clusters:
            cluster.close()
        cls._class_clusters = ()

    def new_cluster(self, start=True, **kwargs):
        """A cluster for this test only; started (leader elected) unless start=False."""
        cluster = Cluster(**kwargs)
        self._test_clusters.append(cluster)
        if start:
            cluster.start_all()
        return cluster

    def assert_stale_reads(self, c, name, expected, timeout_s=15.0):
        """Polls stale Gets on `name` until they match expected {key: value|None}."""

        def probe():
            for key, value in expected.items():
                got = c.get(name, key, stale=True, timeout_s=1.0)
                if (got.found, got.value) != ((value is not None), value or ""):
                    raise NotYet("stale Get %r on %s: found=%s value=%r, expected %r" %
                                 (key, name, got.found, got.value, value))
            return True

        wait_until(probe, timeout_s, "stale reads on %s to show %d keys" % (name, len(expected)))

    def attach_text(self, label, text):
        """Extra text to print if this test fails (e.g. a one-shot's output)."""
        self._extra_text.append((label, text))

    def run(self, result=None):
        if result is None:
            result = self.defaultTestResult()
        self._test_clusters = []
        self._extra_text = []
        before = _problem_count(result)
        started = time.monotonic()
        try:
            return super().run(result)
        finally:
            if _problem_count(result) > before:
                self._print_diagnostics()
            for cluster in self._test_clusters:
                cluster.close()
            elapsed = time.monotonic() - started
            sys.stderr.write("[cluster] %s took %.1f s\n" % (self.id(), elapsed))
            sys.stderr.flush()

    def _print_diagnostics(self):
        out = ["", "[cluster] %s FAILED; diagnostics follow" % self.id()]
        for cluster in list(self._test_clusters) + list(self._class_clusters):
            out.append(cluster.log_tails())
        for label, text in self._extra_text:
            out.append("---- %s\n%s" % (label, text))
        out.append("[cluster] end of diagnostics for %s" % self.id())
        sys.stderr.write("\n".join(out) + "\n")
        sys.stderr.flush()

    # ---- assertions shared by the tests

    def assertRpcCode(self, expected_codes, fn, what):
        """fn() must fail with one of expected_codes (never succeed)."""
        if isinstance(expected_codes, grpc.StatusCode):
            expected_codes = (expected_codes,)
        names = "/".join(c.name for c in expected_codes)
        try:
            response = fn()
        except grpc.RpcError as e:
            if e.code() not in expected_codes:
                self.fail("%s: expected %s, got %s" % (what, names, rpc_error_text(e)))
            return e
        self.fail("%s: expected %s, got OK %r" % (what, names, response))


def main():
    stubs()
    unittest.main(verbosity=2)
