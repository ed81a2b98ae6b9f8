"""`kuma-tproxy install` without --netns where the current namespace looks like a Kubernetes
node's: the host's network namespace with a CNI network configuration in /etc/cni/net.d, or with
named network namespaces in /run/netns. Each case runs in a private mount namespace
(container_view.py) where those directories are temporary ones, so the machine's own stay
untouched. Every run in the host's namespace lacks CAP_NET_ADMIN, so even a guard that failed to
refuse could not change the host's rules (the refusal comes before the capability check).

Environment (CTest sets it): KT_TPROXY_BINARY. Root.
"""

import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = pathlib.Path(__file__).resolve().parent
REFUSAL = "refusing to install into the current network namespace: it looks like a node's"


def host_rules():
    out = []
    for argv in (["iptables-nft-save"], ["ip6tables-nft-save"], ["iptables-legacy-save"],
                 ["nft", "list", "ruleset"]):
        r = subprocess.run(argv, capture_output=True, text=True)
        out.append("\n".join(line for line in r.stdout.splitlines()
                             if not line.startswith("#")))
    return out


@unittest.skipUnless(os.geteuid() == 0, "needs root: mount namespaces, capsh")
class HostNamespace(unittest.TestCase):
    def setUp(self):
        self.binary = os.environ["KT_TPROXY_BINARY"]
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="kt-deploy-hostns-"))
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.netns = []
        self.addCleanup(self.delete_netns)
        self.before = host_rules()

    def delete_netns(self):
        for ns in self.netns:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)

    def node_dirs(self, conflist=False, namespaces=0):
        """--bind arguments giving /etc/cni/net.d and /run/netns the contents asked for."""
        net_d = self.tmp / "net.d"
        netns = self.tmp / "netns"
        net_d.mkdir(exist_ok=True)
        netns.mkdir(exist_ok=True)
        if conflist:
            (net_d / "10-node.conflist").write_text('{"cniVersion": "1.0.0", "name": "node", '
                                                    '"plugins": [{"type": "bridge"}]}\n')
        for i in range(namespaces):
            (netns / f"cni-{i}").touch()
        binds = ["--bind", f"{net_d}:/etc/cni/net.d"]
        # The machine's own /run/netns stays visible unless the case needs other contents.
        return binds + (["--bind", f"{netns}:/run/netns"] if namespaces else [])

    def run_in_view(self, binds, argv):
        return subprocess.run(["unshare", "--mount", "--propagation", "private", sys.executable,
                               str(HERE / "container_view.py"), "--scratch", str(self.tmp),
                               *binds, "--", *argv], capture_output=True, text=True, timeout=30)

    def without_net_admin(self, *args):
        """The binary with CAP_NET_ADMIN out of its bounding set: whatever the guard decides, a
        run in the host's namespace cannot change its rules (it stops at the capability check)."""
        return ["capsh", "--drop=cap_net_admin", f"--shell={self.binary}", "--", *args]

    def assert_host_unchanged(self):
        self.assertEqual(host_rules(), self.before)

    def test_refused_with_a_cni_configuration(self):
        r = self.run_in_view(self.node_dirs(conflist=True), self.without_net_admin("install"))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(REFUSAL, r.stderr)
        self.assertIn("/etc/cni/net.d holds a CNI network configuration", r.stderr)
        self.assertIn("--allow-host-namespace", r.stderr)
        self.assert_host_unchanged()

    def test_refused_with_named_network_namespaces(self):
        r = self.run_in_view(self.node_dirs(namespaces=3), self.without_net_admin("install"))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("/run/netns holds 3 or more named network namespaces", r.stderr)
        self.assert_host_unchanged()

    def test_not_refused_without_signs_of_a_node(self):
        # Two named namespaces and no CNI configuration: past the guard, to the capability check.
        r = self.run_in_view(self.node_dirs(namespaces=2),
                             self.without_net_admin("install"))
        self.assertNotIn(REFUSAL, r.stderr)
        self.assertIn("CAP_NET_ADMIN", r.stderr)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assert_host_unchanged()

    def test_allowed_with_the_flag(self):
        r = self.run_in_view(self.node_dirs(conflist=True),
                             self.without_net_admin("install", "--allow-host-namespace"))
        self.assertNotIn(REFUSAL, r.stderr)
        self.assertIn("CAP_NET_ADMIN", r.stderr)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assert_host_unchanged()

    def test_dry_run_and_entered_namespaces_are_not_refused(self):
        r = self.run_in_view(self.node_dirs(conflist=True, namespaces=5),
                             [self.binary, "install", "--dry-run"])
        self.assertEqual(r.returncode, 0, r.stderr)
        binds = self.node_dirs(conflist=True)
        # A namespace entered from the node (as `ip netns exec`, or an init container) is not
        # the node's own: the install goes ahead there.
        ns = f"ktdeploy-{os.getpid()}-hostns"
        subprocess.run(["ip", "netns", "add", ns], check=True)
        self.netns.append(ns)
        r = self.run_in_view(binds, ["ip", "netns", "exec", ns, self.binary, "install",
                                     "--backend", "nftables"])
        self.assertEqual(r.returncode, 0, r.stderr)
        rules = subprocess.run(["ip", "netns", "exec", ns, "nft", "list", "tables"],
                               capture_output=True, text=True).stdout
        self.assertIn("kuma_mesh", rules)
        self.assert_host_unchanged()


if __name__ == "__main__":
    unittest.main()
