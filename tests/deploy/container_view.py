"""Runs a command in a mount view that a test builds, then execs it (no shell). Used by
test_daemonset_run.py as the container runtime and as "the node"; must run in a private mount
namespace of its own (`unshare --mount --propagation private`), so every mount here disappears
with the process.

  container_view.py [--root DIR] [--ro-root] [--bind SRC:DST[:ro]]... [--caps LIST]
                    [--env-file FILE] -- ARGV...

--bind     bind-mounts SRC on DST. Without --root, DST is a path of this machine: when it does not
           exist, the nearest existing ancestor is first covered by an overlay (upper layer in a
           temporary directory), so the directory can be created without touching the real one.
--root     DST is inside DIR, the container's root file system; /proc and /dev are mounted too.
           The command then runs chrooted in DIR through capsh.
--ro-root  remounts DIR read-only after the binds (readOnlyRootFilesystem).
--caps     the container's added capabilities (comma list of Kubernetes names; empty = none):
           every other capability leaves the bounding set, so uid 0 has exactly these.
--env-file the command's whole environment, one NAME=VALUE per line (JSON-escaped values).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile


def mount(*args):
    subprocess.run(["mount", *args], check=True)


def cover_missing(dst, scratch):
    """Makes `dst` creatable: overlays its nearest existing ancestor when it is missing."""
    if os.path.exists(dst):
        return
    ancestor = os.path.dirname(dst)
    while not os.path.exists(ancestor):
        ancestor = os.path.dirname(ancestor)
    upper = tempfile.mkdtemp(dir=scratch)
    work = tempfile.mkdtemp(dir=scratch)
    mount("-t", "overlay", "overlay", "-o",
          f"lowerdir={ancestor},upperdir={upper},workdir={work}", ancestor)
    os.makedirs(dst, exist_ok=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root")
    ap.add_argument("--ro-root", action="store_true")
    ap.add_argument("--bind", action="append", default=[])
    ap.add_argument("--caps")
    ap.add_argument("--env-file")
    ap.add_argument("--scratch", default="/tmp")
    ap.add_argument("argv", nargs="+")
    a = ap.parse_args()

    if a.root:
        mount("--bind", a.root, a.root)
    for spec in a.bind:
        src, dst, *opt = spec.split(":")
        target = os.path.join(a.root, dst.lstrip("/")) if a.root else dst
        if a.root:
            if os.path.isdir(src):
                os.makedirs(target, exist_ok=True)
            else:
                os.makedirs(os.path.dirname(target), exist_ok=True)
                open(target, "a").close()
        else:
            cover_missing(target, a.scratch)
        mount("--bind", src, target)
        if opt == ["ro"]:
            mount("-o", "remount,bind,ro", target)
    env = dict(os.environ)
    if a.env_file:
        env = {}
        with open(a.env_file) as f:
            for line in f:
                name, value = line.rstrip("\n").split("=", 1)
                env[name] = json.loads(value)
    if not a.root:
        os.execvpe(a.argv[0], a.argv, env)

    for d in ("proc", "dev"):
        os.makedirs(os.path.join(a.root, d), exist_ok=True)
    mount("-t", "proc", "proc", os.path.join(a.root, "proc"))
    mount("--rbind", "/dev", os.path.join(a.root, "dev"))
    if a.ro_root:
        mount("-o", "remount,bind,ro", a.root)
    last = int(open("/proc/sys/kernel/cap_last_cap").read())
    keep = {c.strip().lower() for c in (a.caps or "").split(",") if c.strip()}
    names = {f"cap_{c}" for c in keep}
    numbers = {n for n in range(last + 1)
               if subprocess.run(["capsh", f"--decode={1 << n:x}"], capture_output=True,
                                 text=True).stdout.split("=")[-1].strip() in names}
    drop = ",".join(str(n) for n in range(last + 1) if n not in numbers)
    caps = f"{','.join(sorted(names))}+eip" if names else "="
    capsh = ["capsh", f"--chroot={a.root}", f"--drop={drop}", f"--caps={caps}",
             f"--shell={a.argv[0]}", "--", *a.argv[1:]]
    os.execve(shutil.which("capsh") or "/usr/sbin/capsh", capsh, env)


if __name__ == "__main__":
    sys.exit(main())
