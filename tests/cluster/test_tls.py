#!/usr/bin/python3
"""TLS in the manner of etcd (net/tls.h), on real raft-server processes.

A throwaway PKI is made with the openssl command at test time in a temporary
directory (no key is in the repository): a client CA (the client port's
server certificates and every client certificate), a peer CA (the peer
ports, mutual TLS) and a rogue CA that nothing trusts. Each node gets
--peer-port, so the client port serves no peer service.

Shows:
- a 3-node cluster with peer mTLS and client TLS with --client-cert-auth
  works end to end: a Put through a follower (forwarded to the leader's
  client port), Get through every node, GetClusterStatus naming client and
  peer addresses, raftctl with --cacert/--cert/--key, a follower restarted
  from its members file;
- a plaintext client, a TLS client without a certificate and a client whose
  certificate the rogue CA signed are refused on the client port;
- a peer whose certificate the rogue CA signed is refused at the handshake
  (Hello and Stream on the peer port), and a 4th raft-server with rogue peer
  certificates never joins (its Hello never succeeds, it logs why) while the
  cluster keeps serving and logs its failed handshakes at a limited rate;
- RaftPeer is not served on the client port, nor KeyValueService on the peer
  port;
- without --peer-port, client TLS covers the one port and peers dial it with
  the client-port credentials;
- start-up: partial or contradictory TLS flags exit 2 naming the flag; a
  missing certificate file or a key that is not the certificate's exits 1
  naming the path; a --peer-port in use exits 1 naming it.

Run: /usr/bin/python3 tests/cluster/test_tls.py [-k pattern]
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import unittest

sys.dont_write_bytecode = True

import cluster  # noqa: E402

import grpc  # noqa: E402

EXIT_TIMEOUT_S = 10.0
REFUSED_RPC_TIMEOUT_S = 5.0
# How long the rogue node is given to join (it must not).
ROGUE_WAIT_S = 4.0
SAN = "subjectAltName=DNS:localhost,IP:127.0.0.1\n"


class Pki:
    """CAs and certificates made with the openssl command in `directory`."""

    def __init__(self, directory):
        self.dir = directory

    def _openssl(self, *args):
        run = subprocess.run(["openssl"] + list(args), cwd=self.dir, stdin=subprocess.DEVNULL,
                             capture_output=True, text=True, timeout=30)
        if run.returncode != 0:
            raise AssertionError("openssl %s failed (%d): %s" %
                                 (" ".join(args), run.returncode, run.stderr))

    def path(self, name):
        return os.path.join(self.dir, name)

    def ca(self, name):
        """A self-signed CA: returns its name (files name.crt, name.key)."""
        self._openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                      "-nodes", "-keyout", name + ".key", "-out", name + ".crt", "-days", "2",
                      "-subj", "/CN=" + name)
        return name

    def cert(self, ca, name):
        """A certificate for localhost and 127.0.0.1 signed by ca (name.crt, name.key)."""
        ext = self.path(name + ".ext")
        with open(ext, "w") as f:
            f.write(SAN)
        self._openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                      "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name)
        self._openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt", "-CAkey",
                      ca + ".key", "-CAcreateserial", "-out", name + ".crt", "-days", "2",
                      "-extfile", ext)
        return name

    def read(self, name):
        with open(self.path(name), "rb") as f:
            return f.read()

    def credentials(self, ca=None, cert=None):
        """grpc channel credentials: trusting ca, presenting cert (if given)."""
        return grpc.ssl_channel_credentials(
            root_certificates=self.read(ca + ".crt") if ca else None,
            private_key=self.read(cert + ".key") if cert else None,
            certificate_chain=self.read(cert + ".crt") if cert else None)


def make_pki(test_dir, node_names):
    pki = Pki(test_dir)
    pki.client_ca = pki.ca("client-ca")
    pki.peer_ca = pki.ca("peer-ca")
    pki.rogue_ca = pki.ca("rogue-ca")
    for name in node_names:
        pki.cert(pki.client_ca, name + "-client")
        pki.cert(pki.peer_ca, name + "-peer")
    pki.cert(pki.client_ca, "admin")
    pki.cert(pki.rogue_ca, "rogue-peer")
    pki.cert(pki.rogue_ca, "rogue-admin")
    return pki


def node_tls_args(pki, name, peer=True):
    """A node's TLS flags: client TLS with --client-cert-auth, and peer mTLS."""
    client = ["--cert-file", pki.path(name + "-client.crt"),
              "--key-file", pki.path(name + "-client.key"),
              "--trusted-ca-file", pki.path("client-ca.crt"), "--client-cert-auth"]
    if not peer:
        return client
    return client + ["--peer-cert-file", pki.path(name + "-peer.crt"),
                     "--peer-key-file", pki.path(name + "-peer.key"),
                     "--peer-trusted-ca-file", pki.path("peer-ca.crt")]


def require_openssl():
    if shutil.which("openssl") is None:
        raise AssertionError("the openssl command is needed (scripts/setup.sh installs it)")


class TlsClusterTest(cluster.ClusterTestCase):

    @classmethod
    def setUpClass(cls):
        require_openssl()
        cls.pki_dir = cluster.make_temp_dir("raft-cluster-pki-")
        names = ["node1", "node2", "node3"]
        cls.pki = make_pki(cls.pki_dir, names)
        admin = cls.pki.credentials(ca="client-ca", cert="admin")
        cluster.stubs()
        c = cluster.Cluster(peer_ports=True, credentials=admin)
        cls._class_clusters = [c]
        for name in names:
            c.node(name).extra_args = node_tls_args(cls.pki, name)
        try:
            c.start_all()
        except BaseException:
            sys.stderr.write("\n[cluster] TLS cluster failed to start; node logs:\n%s\n" %
                             c.log_tails())
            c.close()
            raise
        cls.c = c

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cluster.remove_temp_dir(cls.pki_dir)

    # ---- helpers

    def channel(self, port, credentials):
        ch = cluster.open_channel(port, credentials)
        self.addCleanup(ch.close)
        return ch

    def kv(self, port, credentials):
        return cluster.stubs().pb_grpc.KeyValueServiceStub(self.channel(port, credentials))

    def peer(self, port, credentials):
        return cluster.stubs().pb_grpc.RaftPeerStub(self.channel(port, credentials))

    def hello(self, stub):
        req = cluster.stubs().pb.HelloRequest(node_id="tester", address="localhost:1")
        return stub.Hello(req, timeout=REFUSED_RPC_TIMEOUT_S)

    def assert_refused(self, fn, what):
        """fn() fails at the TLS handshake: UNAVAILABLE, never an answer."""
        e = self.assertRpcCode(grpc.StatusCode.UNAVAILABLE, fn, what)
        sys.stderr.write("[cluster] %s -> %s\n" % (what, cluster.rpc_error_text(e)[:160]))

    def raftctl(self, *args, tls=True, timeout_ms=10000):
        endpoints = ",".join(self.c.node(n).address for n in self.c.names)
        flags = ["--cacert", self.pki.path("client-ca.crt"), "--cert", self.pki.path("admin.crt"),
                 "--key", self.pki.path("admin.key")] if tls else []
        argv = [cluster.raftctl_binary(), "--endpoints", endpoints,
                "--timeout", str(timeout_ms)] + flags + list(args)
        run = cluster.run_once(argv, timeout_s=30.0)
        self.attach_text("raftctl %s" % " ".join(args), run.describe())
        return run

    # ---- (a) end to end

    def test_cluster_works_end_to_end_with_tls(self):
        c = self.c
        leader = c.wait_for_leader()
        follower = c.followers(leader)[0]
        c.put_retry(follower, "tls/k", "through a follower")
        for name in c.names:
            got = c.get_retry(name, "tls/k")
            self.assertEqual((got.found, got.value), (True, "through a follower"),
                             "linearizable Get on %s" % name)
        st = c.status(follower)
        self.assertEqual(st.leader_id, leader)
        self.assertEqual(st.leader_address, c.node(leader).address,
                         "leader_address is the leader's client address")
        members = {m.id: m for m in st.members}
        self.assertEqual(sorted(members), c.names)
        for name in c.names:
            self.assertEqual(members[name].address, c.node(name).address, "client address")
            self.assertEqual(members[name].peer_address,
                             "localhost:%d" % c.node(name).peer_port, "peer address")
        self.assertRegex(st.cluster_id, r"^[0-9a-f]{16}$")

    def test_raftctl_with_cacert_cert_and_key(self):
        self.c.wait_for_leader()
        run = self.raftctl("put", "tls/ctl", "v")
        self.assertEqual(run.returncode, 0, run.describe())
        run = self.raftctl("get", "tls/ctl")
        self.assertEqual((run.returncode, run.stdout), (0, "v\n"), run.describe())
        run = self.raftctl("status")
        self.assertEqual(run.returncode, 0, run.describe())
        self.assertRegex(run.stdout, r"\bleader\b")
        # Without its certificate the same command is refused.
        run = self.raftctl("get", "tls/ctl", tls=False, timeout_ms=2000)
        self.assertEqual(run.returncode, 3, "plaintext raftctl: unavailable\n" + run.describe())

    def test_follower_restarts_from_its_members_file(self):
        c = self.c
        leader = c.wait_for_leader()
        follower = c.followers(leader)[0]
        with open(os.path.join(c.node(follower).data_dir, "members")) as f:
            lines = f.read().split("\n")
        for name in c.names:
            node = c.node(name)
            line = "%s localhost:%d localhost:%d" % (name, node.peer_port, node.port)
            self.assertIn(line, lines,
                          "members file: name, peer address, client address")
        c.put_retry(None, "tls/before-restart", "1")
        c.stop(follower)
        c.put_retry(leader, "tls/while-down", "2")
        c.restart(follower)
        c.wait_for_leader()
        for key, value in (("tls/before-restart", "1"), ("tls/while-down", "2")):
            got = c.get_retry(follower, key)
            self.assertEqual((got.found, got.value), (True, value), key)
        c.put_retry(follower, "tls/after-restart", "3")

    # ---- (b) clients without a trusted certificate

    def test_plaintext_client_is_refused(self):
        port = self.c.node("node1").port
        self.assert_refused(
            lambda: self.kv(port, None).GetClusterStatus(
                cluster.stubs().pb.GetClusterStatusRequest(), timeout=REFUSED_RPC_TIMEOUT_S),
            "plaintext GetClusterStatus on the client port")

    def test_tls_client_without_a_certificate_is_refused(self):
        port = self.c.node("node1").port
        pb = cluster.stubs().pb
        no_cert = self.pki.credentials(ca="client-ca")
        self.assert_refused(
            lambda: self.kv(port, no_cert).Put(pb.PutRequest(key="tls/no-cert", value="x"),
                                               timeout=REFUSED_RPC_TIMEOUT_S),
            "Put with TLS but no client certificate")
        rogue = self.pki.credentials(ca="client-ca", cert="rogue-admin")
        self.assert_refused(
            lambda: self.kv(port, rogue).Put(pb.PutRequest(key="tls/rogue", value="x"),
                                             timeout=REFUSED_RPC_TIMEOUT_S),
            "Put with a client certificate of the rogue CA")
        got = self.c.get_retry("node1", "tls/no-cert")
        self.assertFalse(got.found, "a refused Put wrote nothing")

    # ---- (c) peers whose certificate the peer CA did not sign

    def test_peer_with_a_rogue_certificate_is_refused(self):
        port = self.c.node("node2").peer_port
        genuine = self.pki.credentials(ca="peer-ca", cert="node1-peer")
        answer = self.hello(self.peer(port, genuine))
        self.assertEqual(answer.node_id, "node2", "a genuine peer certificate is answered")
        self.assertEqual(answer.client_address, self.c.node("node2").address)
        cases = [
            ("rogue-CA peer certificate", self.pki.credentials(ca="peer-ca", cert="rogue-peer")),
            ("client-CA certificate on the peer port",
             self.pki.credentials(ca="peer-ca", cert="admin")),
            ("no certificate", self.pki.credentials(ca="peer-ca")),
        ]
        pb = cluster.stubs().pb
        for label, creds in cases:
            with self.subTest(label):
                stub = self.peer(port, creds)
                self.assert_refused(lambda: self.hello(stub), "Hello with " + label)
                self.assert_refused(
                    lambda: stub.Stream(iter([pb.PeerBatch()]), timeout=REFUSED_RPC_TIMEOUT_S),
                    "Stream with " + label)
        self.assert_refused(lambda: self.hello(self.peer(port, None)), "plaintext Hello")

    def test_node_with_rogue_peer_certificates_never_joins(self):
        c = self.c
        c.wait_for_leader()
        client_port, peer_port = cluster.free_ports(2)
        log_path = os.path.join(self.pki_dir, "node4.log")
        args = [c.binary, "--node-id", "node4", "--port", str(client_port), "--peer-port",
                str(peer_port), "--peers",
                ",".join("localhost:%d" % c.node(n).peer_port for n in c.names),
                "--data-dir", os.path.join(self.pki_dir, "node4"), "--heartbeat-ms",
                str(cluster.HEARTBEAT_MS), "--election-ms", str(cluster.ELECTION_MS),
                "--peer-cert-file", self.pki.path("rogue-peer.crt"),
                "--peer-key-file", self.pki.path("rogue-peer.key"),
                # It trusts the genuine peer CA: only its own certificate is wrong.
                "--peer-trusted-ca-file", self.pki.path("peer-ca.crt")]
        first = c.node(c.names[0])  # node4 asks its peers in order: node1 sees every try
        first_log_start = os.path.getsize(first.log_path)
        with open(log_path, "ab") as log:
            proc = cluster.spawn(args, stdout=log, stderr=subprocess.STDOUT, cwd=self.pki_dir)
        self.addCleanup(cluster.end_process, proc)
        self.addCleanup(lambda: self.attach_text("node4 log", cluster.read_tail(log_path)))
        time.sleep(ROGUE_WAIT_S)
        self.assertIsNone(proc.poll(), "node4 keeps waiting for a Hello answer (it exits only "
                          "when one refuses it)")
        # Its own client port is plaintext: it is still "starting".
        st = self.kv(client_port, None).GetClusterStatus(
            cluster.stubs().pb.GetClusterStatusRequest(), timeout=REFUSED_RPC_TIMEOUT_S,
            wait_for_ready=True)
        self.assertEqual(st.role, "starting", "node4 never learned its peers")
        log = cluster.read_tail(log_path, 200)
        self.assertRegex(log, r"waiting for Hello answers.*peer at localhost:\d+: \S.*"
                         r"refuses this node's certificate",
                         "node4 logs which peer it waits for, and why\n" + log)
        # gRPC logs every failed handshake on the server; the node's log
        # shows one line per source line and interval, not one per attempt.
        with open(first.log_path, "rb") as f:
            f.seek(first_log_start)
            handshakes = [line for line in f.read().decode(errors="replace").splitlines()
                          if "andshake failed" in line]
        self.assertLessEqual(len(handshakes), 2, "%s logged every failed handshake of node4:\n%s"
                             % (first.name, "\n".join(handshakes[:10])))
        self.assertRegex(cluster.read_tail(first.log_path, 10000), r"grpc: .*andshake failed",
                         "the first failed handshake is logged, through spdlog")
        # The cluster goes on serving, with its three members only.
        c.put_retry(None, "tls/after-rogue", "ok")
        for name in c.names:
            self.assertEqual(c.get_retry(name, "tls/after-rogue").value, "ok")
            self.assertEqual(sorted(m.id for m in c.status(name).members), c.names)
        sys.stderr.write("[cluster] node4's last line: %s\n" % log.strip().splitlines()[-1])

    # ---- (d) the client port serves no peer service

    def test_raft_peer_is_served_on_the_peer_port_only(self):
        node = self.c.node("node1")
        admin = self.pki.credentials(ca="client-ca", cert="admin")
        self.assertRpcCode(grpc.StatusCode.UNIMPLEMENTED,
                           lambda: self.hello(self.peer(node.port, admin)),
                           "Hello on the client port")
        genuine_peer = self.pki.credentials(ca="peer-ca", cert="node2-peer")
        self.assertRpcCode(
            grpc.StatusCode.UNIMPLEMENTED,
            lambda: self.kv(node.peer_port, genuine_peer).GetClusterStatus(
                cluster.stubs().pb.GetClusterStatusRequest(), timeout=REFUSED_RPC_TIMEOUT_S),
            "GetClusterStatus on the peer port")
        # Nor server reflection: the peer port serves RaftPeer and health only.
        reflection = cluster.stubs().reflection
        channel = self.channel(node.peer_port, genuine_peer)
        for version in ("v1alpha", "v1"):
            call = channel.stream_stream(
                "/grpc.reflection.%s.ServerReflection/ServerReflectionInfo" % version,
                request_serializer=reflection.ServerReflectionRequest.SerializeToString,
                response_deserializer=reflection.ServerReflectionResponse.FromString)
            self.assertRpcCode(
                grpc.StatusCode.UNIMPLEMENTED,
                lambda: list(call(iter([reflection.ServerReflectionRequest(list_services="")]),
                                  timeout=REFUSED_RPC_TIMEOUT_S)),
                "server reflection %s on the peer port" % version)
        health = cluster.stubs().health
        answer = cluster.stubs().health_grpc.HealthStub(channel).Check(
            health.HealthCheckRequest(service=""), timeout=REFUSED_RPC_TIMEOUT_S)
        self.assertEqual(answer.status, health.HealthCheckResponse.SERVING,
                         "health on the peer port")


class OnePortTlsTest(cluster.ClusterTestCase):
    """Client TLS without --peer-port: peers dial the one port as clients."""

    def test_peers_use_the_client_port_credentials(self):
        require_openssl()
        pki_dir = cluster.make_temp_dir("raft-cluster-pki-")
        self.addCleanup(cluster.remove_temp_dir, pki_dir)
        pki = make_pki(pki_dir, ["node1", "node2", "node3"])
        c = self.new_cluster(start=False, credentials=pki.credentials(ca="client-ca",
                                                                      cert="admin"))
        for name in c.names:
            c.node(name).extra_args = node_tls_args(pki, name, peer=False)
        leader = c.start_all()
        follower = c.followers(leader)[0]
        c.put_retry(follower, "tls/one-port", "v")
        for name in c.names:
            self.assertEqual(c.get_retry(name, "tls/one-port").value, "v")
        self.assertEqual(c.status(follower).leader_address, c.node(leader).address)


class TlsStartupTest(cluster.ClusterTestCase):
    """Bad TLS flags and files stop the node before it serves anything."""

    @classmethod
    def setUpClass(cls):
        require_openssl()
        cls.pki_dir = cluster.make_temp_dir("raft-cluster-pki-")
        cls.pki = make_pki(cls.pki_dir, ["node1"])

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cluster.remove_temp_dir(cls.pki_dir)

    def run_server(self, extra, port=None):
        port = port or cluster.free_port()
        args = [cluster.server_binary(), "--node-id", "node1", "--port", str(port), "--peers",
                "localhost:%d" % cluster.free_port(),
                "--data-dir", os.path.join(self.pki_dir, "data-%d" % port)] + extra
        run = cluster.run_once(args, timeout_s=EXIT_TIMEOUT_S)
        self.attach_text("raft-server run", run.describe())
        return run

    def assert_exit_naming(self, run, code, pattern, what):
        self.assertEqual(run.returncode, code, "%s: expected exit %d\n%s" %
                         (what, code, run.describe()))
        lines = [line for line in run.stderr.splitlines() if re.search(pattern, line)]
        self.assertTrue(lines, "%s: one stderr line should match /%s/\n%s" %
                        (what, pattern, run.describe()))
        sys.stderr.write("[cluster] %s -> exit %d: %s\n" % (what, code, lines[0]))

    def test_missing_certificate_file_exits_1_naming_it(self):
        missing = os.path.join(self.pki_dir, "no-such.crt")
        run = self.run_server(["--cert-file", missing,
                               "--key-file", self.pki.path("node1-client.key"),
                               "--trusted-ca-file", self.pki.path("client-ca.crt")])
        self.assert_exit_naming(run, 1, r"--cert-file " + re.escape(missing) + r": No such file",
                                "a missing --cert-file")
        missing_ca = os.path.join(self.pki_dir, "no-such-ca.crt")
        run = self.run_server(["--peer-port", str(cluster.free_port()),
                               "--peer-cert-file", self.pki.path("node1-peer.crt"),
                               "--peer-key-file", self.pki.path("node1-peer.key"),
                               "--peer-trusted-ca-file", missing_ca])
        self.assert_exit_naming(run, 1, r"--peer-trusted-ca-file " + re.escape(missing_ca),
                                "a missing --peer-trusted-ca-file")

    def test_key_of_another_certificate_exits_1(self):
        run = self.run_server(["--cert-file", self.pki.path("node1-client.crt"),
                               "--key-file", self.pki.path("admin.key"),
                               "--trusted-ca-file", self.pki.path("client-ca.crt")])
        self.assert_exit_naming(run, 1, re.escape(self.pki.path("admin.key")) +
                                r" is not the key of", "a key that is not the certificate's")
        run = self.run_server(["--cert-file", self.pki.path("node1-client.key"),
                               "--key-file", self.pki.path("node1-client.key"),
                               "--trusted-ca-file", self.pki.path("client-ca.crt")])
        self.assert_exit_naming(run, 1, r"holds no PEM certificate", "a key as --cert-file")

    def test_peer_port_in_use_exits_1(self):
        holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(holder.close)
        holder.bind(("0.0.0.0", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        run = self.run_server(["--peer-port", str(port)])
        self.assert_exit_naming(run, 1, r"cannot listen on \S*:%d \(--peer-port\)" % port,
                                "--peer-port %d held by another socket" % port)

    def test_partial_or_contradictory_tls_flags_exit_2(self):
        crt, key = self.pki.path("node1-client.crt"), self.pki.path("node1-client.key")
        ca = self.pki.path("client-ca.crt")
        port = cluster.free_port()
        cases = [
            ("--cert-file without --key-file", ["--cert-file", crt, "--trusted-ca-file", ca],
             r"--cert-file and --key-file"),
            ("--cert-file without --trusted-ca-file", ["--cert-file", crt, "--key-file", key],
             r"--trusted-ca-file"),
            ("--client-cert-auth alone", ["--client-cert-auth"], r"--client-cert-auth"),
            ("peer TLS without --peer-port", ["--peer-cert-file", crt, "--peer-key-file", key,
                                              "--peer-trusted-ca-file", ca], r"--peer-port"),
            ("--peer-cert-file alone", ["--peer-port", str(cluster.free_port()),
                                        "--peer-cert-file", crt], r"go together"),
            ("--peer-port equal to --port", ["--peer-port", str(port)], r"--peer-port"),
        ]
        for label, extra, pattern in cases:
            with self.subTest(label):
                self.assert_exit_naming(self.run_server(extra, port=port), 2, pattern, label)


if __name__ == "__main__":
    cluster.main()
