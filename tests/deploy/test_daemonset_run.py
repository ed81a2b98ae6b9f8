"""The CNI DaemonSet as deploy/cni declares it, run against a node tree and the stub API server.

Nothing of the manifest is copied here: the test reads deploy/cni/daemonset.yaml and its
ConfigMap and derives the container's environment (values and configMapKeyRef), its mounts
(hostPath volumes map to a temporary node tree, emptyDir to a temporary directory, the service
account to its usual path), its root file system (scripts/image-rootfs.sh cni, the CNI image's
content assembled from the build tree; the entrypoint is the Dockerfile's), read-only when the
manifest says so, its capabilities (exactly securityContext.capabilities.add) and its readiness
probe. The installer then runs in that view as the kubelet would start it; the test container
runtime (tests/cni/support, kt-cni-run) runs the node's chain with the plugin the installer
copied, in a node view where the hostPath directories are at their host paths, against the stub
API server (tests/cni/stub) serving an injected pod.

Environment (CTest sets it): KT_TPROXY_BINARY, KT_CNI_RUN, KT_BPF_DIR. Root.
"""

import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import deploy_manifests as dm

HERE = pathlib.Path(__file__).resolve().parent
REPO = dm.REPO
PY = sys.executable
SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


def run(*argv, check=True, **kw):
    return subprocess.run(list(argv), check=check, capture_output=True, text=True, **kw)


def wait_for(predicate, seconds=30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def cni_image_entrypoint():
    """The ENTRYPOINT of the Dockerfile's cni stage."""
    text = (REPO / "Dockerfile").read_text()
    stage = text.split("AS cni", 1)[1].split("\nFROM ", 1)[0]
    return json.loads(re.search(r"^ENTRYPOINT (\[.*\])$", stage, re.M).group(1))


@unittest.skipUnless(os.geteuid() == 0, "needs root: namespaces, mounts, capsh")
class DaemonSetRun(unittest.TestCase):
    def setUp(self):
        self.procs = []
        self.netns = []
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="kt-deploy-run-"))
        self.addCleanup(self.cleanup)
        manifests = dm.load_tree(REPO / "deploy/cni")
        self.ds = next(m.doc for m in manifests if m.doc.get("kind") == "DaemonSet")
        self.configmaps = {m.doc["metadata"]["name"]: m.doc for m in manifests
                           if m.doc.get("kind") == "ConfigMap"}
        self.pod_spec = self.ds["spec"]["template"]["spec"]
        self.container = self.pod_spec["containers"][0]

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        for ns in self.netns:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- the pieces a kubelet would provide -------------------------------------------------

    def container_env(self, service_host, service_port):
        env = {}
        for item in self.container.get("env") or []:
            if "value" in item:
                env[item["name"]] = item["value"]
                continue
            ref = item["valueFrom"]
            if "configMapKeyRef" in ref:
                cm = self.configmaps[ref["configMapKeyRef"]["name"]]
                env[item["name"]] = cm["data"][ref["configMapKeyRef"]["key"]]
            elif "fieldRef" in ref:
                env[item["name"]] = {"spec.nodeName": "node-1"}[ref["fieldRef"]["fieldPath"]]
            else:
                self.fail(f"unsupported valueFrom {ref}")
        # The kubelet adds the API server's service address to every container.
        env["KUBERNETES_SERVICE_HOST"] = service_host
        env["KUBERNETES_SERVICE_PORT"] = str(service_port)
        path = self.tmp / "container.env"
        path.write_text("".join(f"{k}={json.dumps(v)}\n" for k, v in env.items()))
        return path

    def container_binds(self):
        """--bind specs for the container: its volumeMounts and the service account."""
        volumes = {v["name"]: v for v in self.pod_spec["volumes"]}
        binds = []
        for vm in self.container["volumeMounts"]:
            vol = volumes[vm["name"]]
            if "hostPath" in vol:
                src = self.node / vol["hostPath"]["path"].lstrip("/")
                kind = vol["hostPath"].get("type", "")
                if kind == "DirectoryOrCreate":
                    src.mkdir(parents=True, exist_ok=True)
                self.assertTrue(src.is_dir(), f"hostPath {src} must exist ({kind})")
            elif "emptyDir" in vol:
                src = self.tmp / "emptydir" / vm["name"]
                src.mkdir(parents=True, exist_ok=True)
            else:
                self.fail(f"unsupported volume {vol}")
            binds.append(f"{src}:{vm['mountPath']}" + (":ro" if vm.get("readOnly") else ""))
            if "emptyDir" in vol:
                self.emptydirs[vm["mountPath"]] = src
        binds.append(f"{self.sa}:{SA_DIR}:ro")
        return binds

    def container_argv(self, command):
        sc = self.container.get("securityContext") or {}
        caps = (sc.get("capabilities") or {})
        self.assertEqual(caps.get("drop"), ["ALL"])
        argv = ["unshare", "--mount", "--propagation", "private", PY, str(HERE / "container_view.py"),
                "--root", str(self.root), "--env-file", str(self.env_file),
                "--scratch", str(self.tmp), "--caps", ",".join(caps.get("add") or [])]
        if sc.get("readOnlyRootFilesystem"):
            argv.append("--ro-root")
        for b in self.binds:
            argv += ["--bind", b]
        return argv + ["--", *command]

    def node_argv(self, command):
        """`command` on "the node": the hostPath directories at their host paths."""
        argv = ["unshare", "--mount", "--propagation", "private", PY, str(HERE / "container_view.py"),
                "--scratch", str(self.tmp)]
        for v in self.pod_spec["volumes"]:
            if "hostPath" in v:
                argv += ["--bind", f"{self.node / v['hostPath']['path'].lstrip('/')}:"
                                   f"{v['hostPath']['path']}"]
        return argv + ["--", *command]

    # ---- the test ---------------------------------------------------------------------------

    def test_installer_and_plugin_run_as_the_manifest_declares(self):
        binary = os.environ["KT_TPROXY_BINARY"]
        cni_run = os.environ["KT_CNI_RUN"]
        self.node = self.tmp / "node"
        self.sa = self.tmp / "sa"
        self.emptydirs = {}
        for d in (self.node, self.sa, self.tmp / "pki", self.tmp / "fixtures/shop"):
            d.mkdir(parents=True)

        # The image's root file system, as the Dockerfile's cni stage assembles it.
        prefix = self.tmp / "prefix"
        (prefix / "bin").mkdir(parents=True)
        shutil.copy(binary, prefix / "bin/kuma-tproxy")
        (prefix / "lib/kuma-tproxy/bpf").mkdir(parents=True)
        for obj in pathlib.Path(os.environ["KT_BPF_DIR"]).glob("*.bpf.o"):
            shutil.copy(obj, prefix / "lib/kuma-tproxy/bpf")
        self.root = self.tmp / "root"
        run(str(REPO / "scripts/image-rootfs.sh"), "cni", str(prefix), str(self.root))

        # API server PKI, service account, the injected pod.
        pki = self.tmp / "pki"
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        run("openssl", "req", "-x509", *ec, "-keyout", pki / "ca.key", "-out", pki / "ca.crt",
            "-days", "2", "-subj", "/CN=ktdeploy-ca", "-addext",
            "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        run("openssl", "req", *ec, "-keyout", pki / "server.key", "-out", pki / "server.csr",
            "-subj", "/CN=kube-apiserver")
        (pki / "server.ext").write_text("subjectAltName=IP:127.0.0.1\n"
                                        "extendedKeyUsage=serverAuth\n")
        run("openssl", "x509", "-req", "-in", pki / "server.csr", "-CA", pki / "ca.crt",
            "-CAkey", pki / "ca.key", "-CAcreateserial", "-out", pki / "server.crt", "-days", "2",
            "-extfile", pki / "server.ext")
        token = f"ktdeploy-token-{os.getpid()}-{time.monotonic_ns()}"
        (self.sa / "token").write_text(token)
        (self.sa / "namespace").write_text("kube-system")
        shutil.copy(pki / "ca.crt", self.sa / "ca.crt")
        (self.tmp / "fixtures/shop/web.json").write_text(json.dumps({
            "kind": "Pod", "apiVersion": "v1",
            "metadata": {"name": "web", "namespace": "shop", "annotations": {
                "kuma.io/sidecar-injected": "true", "kuma.io/sidecar-uid": "5678",
                "kuma.io/transparent-proxying": "enabled",
                "kuma.io/transparent-proxying-experimental-engine": "enabled"}},
            "spec": {"containers": [{"name": "app", "image": "app:1"},
                                    {"name": "kuma-sidecar", "image": "kuma-dp:2.9"}]}}))

        # The node network namespace (API stub, bridge) and the pod's.
        node_ns, pod_ns = f"ktdeploy-{os.getpid()}-node", f"ktdeploy-{os.getpid()}-pod"
        for ns in (node_ns, pod_ns):
            run("ip", "netns", "add", ns)
            self.netns.append(ns)
        run("ip", "-n", node_ns, "link", "set", "lo", "up")
        run("ip", "netns", "exec", node_ns, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0",
            "net.ipv6.conf.default.accept_dad=0")
        stub_out = open(self.tmp / "stub.out", "w")
        self.addCleanup(stub_out.close)
        stub = subprocess.Popen(
            ["ip", "netns", "exec", node_ns, PY, str(REPO / "tests/cni/stub/kube_api_stub.py"),
             "--cert", str(pki / "server.crt"), "--key", str(pki / "server.key"),
             "--token", token, "--fixtures", str(self.tmp / "fixtures"),
             "--log", str(self.tmp / "api.log")], stdout=stub_out, stderr=subprocess.DEVNULL)
        self.procs.append(stub)
        self.assertTrue(wait_for(lambda: "PORT" in (self.tmp / "stub.out").read_text()))
        port = int(re.search(r"PORT (\d+)", (self.tmp / "stub.out").read_text()).group(1))

        # The node's primary network: what the installer chains into.
        net_d = self.node / "etc/cni/net.d"
        net_d.mkdir(parents=True)
        conflist = net_d / "10-ktdeploy.conflist"
        conflist.write_text(json.dumps({
            "cniVersion": "1.0.0", "name": "ktdeploy",
            "plugins": [{"type": "bridge", "bridge": f"ktdbr{os.getpid() % 100000}",
                         "isGateway": True, "ipMasq": False,
                         "ipam": {"type": "host-local", "dataDir": str(self.tmp / "ipam"),
                                  "ranges": [[{"subnet": "10.0.0.0/24",
                                               "rangeStart": "10.0.0.1", "rangeEnd": "10.0.0.1",
                                               "gateway": "10.0.0.2"}]]}},
                        {"type": "loopback"}]}, indent=2) + "\n")
        original = conflist.read_bytes()

        self.env_file = self.container_env("127.0.0.1", port)
        self.binds = self.container_binds()
        entry = self.container.get("command") or cni_image_entrypoint()
        command = entry + (self.container.get("args") or [])
        log = open(self.tmp / "installer.log", "w")
        self.addCleanup(log.close)
        installer = subprocess.Popen(self.container_argv(command), stdout=log, stderr=log)
        self.procs.append(installer)

        probe = self.container["readinessProbe"]["exec"]["command"]

        def probe_passes():
            return subprocess.run(self.container_argv(probe), capture_output=True).returncode == 0

        ready = wait_for(lambda: installer.poll() is not None or probe_passes())
        self.assertTrue(ready and installer.poll() is None,
                        "installer not ready: " + (self.tmp / "installer.log").read_text())

        # What the installer left on the node.
        bin_dir = self.node / "opt/cni/bin"
        self.assertEqual((bin_dir / "kuma-cni").read_bytes(), pathlib.Path(binary).read_bytes())
        chained = json.loads(conflist.read_text())
        self.assertEqual([p["type"] for p in chained["plugins"]],
                         ["bridge", "loopback", "kuma-cni"])
        ours = chained["plugins"][-1]
        template = json.loads(self.configmaps["kuma-tproxy-cni-config"]["data"]
                              ["cni_network_config"])
        kubeconfig_host = ours["kubernetes"]["kubeconfig"]
        self.assertEqual(ours["kubernetes"]["exclude_namespaces"],
                         template["kubernetes"]["exclude_namespaces"])
        kubeconfig = self.node / kubeconfig_host.lstrip("/")
        self.assertEqual(oct(kubeconfig.stat().st_mode & 0o777), "0o600")

        # The chain as the runtime runs it, on the node.
        def chain(cmd):
            return subprocess.run(self.node_argv([
                cni_run, "--conflist", str(conflist),
                "--cni-path", f"{bin_dir}:/usr/lib/cni", "--node-netns", f"/run/netns/{node_ns}",
                "--netns", f"/run/netns/{pod_ns}", "--container-id", f"ktdeploy{os.getpid()}",
                "--args", "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web",
                "--cache", str(self.tmp / "result.json"), cmd]), capture_output=True, text=True)

        def pod_ruleset():
            return run("ip", "netns", "exec", pod_ns, "nft", "list", "ruleset").stdout

        add = chain("ADD")
        self.assertEqual(add.returncode, 0, add.stderr)
        self.assertIn("table inet kuma_mesh", pod_ruleset())
        api = [json.loads(line) for line in (self.tmp / "api.log").read_text().splitlines()]
        self.assertEqual((api[-1]["status"], api[-1]["token_ok"]), (200, True))
        check = chain("CHECK")
        self.assertEqual(check.returncode, 0, check.stderr)
        delete = chain("DEL")
        self.assertEqual(delete.returncode, 0, delete.stderr)
        self.assertNotIn("kuma_mesh", pod_ruleset())

        # The kubelet stops the pod: SIGTERM, then the grace period.
        installer.send_signal(signal.SIGTERM)
        code = installer.wait(timeout=self.pod_spec["terminationGracePeriodSeconds"])
        self.assertEqual(code, 0, (self.tmp / "installer.log").read_text())
        self.assertEqual(conflist.read_bytes(), original)
        self.assertFalse((bin_dir / "kuma-cni").exists())
        self.assertFalse(kubeconfig.exists())
        self.assertFalse(probe_passes())
        self.assertNotIn(token, (self.tmp / "installer.log").read_text())


if __name__ == "__main__":
    unittest.main()
