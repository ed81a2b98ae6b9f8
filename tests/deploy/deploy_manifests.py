"""Loads the manifests under deploy/ and checks them: the Kubernetes API models
(k8s_models.py) and the project's rules, which tie the manifests to what the repository builds
and documents:
  - an image is one scripts/build-images.sh builds, tagged with the project's version (the
    example workload's own application images excepted, and only in its `containers`);
  - every environment variable the CNI DaemonSet sets is one docs/cni.md documents for the
    installer;
  - every added capability is one docs/privileges.md names;
  - the ClusterRole grants nothing beyond docs/security.md "Kubernetes API rights".
"""

import pathlib
import re

import yaml

import k8s_models

REPO = pathlib.Path(__file__).resolve().parents[2]

# Images of the example workload that stand for the user's application and Kuma's sidecar.
EXAMPLE_WORKLOAD_IMAGES = {"nginx:1.25", "kuma-dp:2.9.0"}


class StrictLoader(yaml.SafeLoader):
    """A YAML loader that refuses duplicate keys (PyYAML keeps the last one silently)."""


def _construct_mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class Manifest:
    def __init__(self, path, index, doc, patch_target):
        self.path, self.index, self.doc, self.patch_target = path, index, doc, patch_target

    @property
    def name(self):
        try:
            shown = self.path.relative_to(REPO)
        except ValueError:
            shown = self.path
        return f"{shown}#{self.index}"


def load_file(path):
    """The documents of one YAML file; a `# patch-target: X` comment marks a patch."""
    text = path.read_text()
    m = re.search(r"^# patch-target: (.+)$", text, re.M)
    docs = [d for d in yaml.load_all(text, Loader=StrictLoader) if d is not None]
    return [Manifest(path, i, d, m.group(1).strip() if m else None) for i, d in enumerate(docs)]


def load_tree(root):
    out = []
    for path in sorted(list(root.rglob("*.yaml")) + list(root.rglob("*.yml"))):
        out.extend(load_file(path))
    return out


def skeleton(target):
    """A minimal valid object of `target` ("apps/v1 Deployment") for a patch to apply to."""
    if target == "apps/v1 Deployment":
        labels = {"app": "example"}
        return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "example"},
                "spec": {"selector": {"matchLabels": labels},
                         "template": {"metadata": {"labels": labels},
                                      "spec": {"containers": [{"name": "app",
                                                               "image": "app:1"}]}}}}
    return None


def model_errors(manifest):
    """Model errors of a manifest; a patch is checked as a partial object and, applied to its
    target, as a complete one."""
    if manifest.patch_target is None:
        return k8s_models.validate_object(manifest.doc)
    target = manifest.patch_target
    if " " in target:
        base = skeleton(target)
        if base is None:
            return [f"unknown patch target {target!r}"]
    else:
        base_docs = load_file((manifest.path.parent / target).resolve())
        if len(base_docs) != 1:
            return [f"patch target {target} must hold exactly one document"]
        base = base_docs[0].doc
    partial = dict(manifest.doc)
    partial.setdefault("apiVersion", base["apiVersion"])
    partial.setdefault("kind", base["kind"])
    errors = [f"(patch) {e}" for e in k8s_models.validate_object(partial, partial=True)]
    try:
        merged = k8s_models.strategic_merge(base, manifest.doc)
    except ValueError as e:
        return errors + [str(e)]
    return errors + [f"(patched {target}) {e}"
                     for e in k8s_models.validate_object(merged)]


def pod_specs(doc):
    """(path, PodSpec) of a Pod, a workload or a patch of one."""
    if doc.get("kind") == "Pod":
        return [("spec", doc.get("spec") or {})]
    spec = ((doc.get("spec") or {}).get("template") or {}).get("spec")
    return [("spec.template.spec", spec)] if isinstance(spec, dict) else []


def containers(doc):
    """(path, container, kind) of every container: kind is containers or initContainers."""
    out = []
    for path, spec in pod_specs(doc):
        for kind in ("initContainers", "containers"):
            for i, c in enumerate(spec.get(kind) or []):
                out.append((f"{path}.{kind}[{i}]", c, kind))
    return out


def built_images():
    """The image names scripts/build-images.sh tags and the project version they carry."""
    script = (REPO / "scripts/build-images.sh").read_text()
    names = set(re.findall(r"(kuma-tproxy-[a-z]+):\$TAG", script))
    version = re.search(r"project\(kuma-tproxy VERSION ([0-9.]+)",
                        (REPO / "CMakeLists.txt").read_text()).group(1)
    return names, version


def documented_installer_env():
    """The variables of docs/cni.md's installer environment table (rendered from the same table
    as `cni-install --help`, between its settings markers)."""
    text = (REPO / "docs/cni.md").read_text()
    begin, end = "<!-- settings:installer-environment -->", "<!-- end settings:installer-environment -->"
    if begin not in text or end not in text:
        return set()
    section = text.split(begin, 1)[1].split(end, 1)[0]
    names = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            names.update(re.findall(r"`([A-Z][A-Z0-9_]*)`", line.split("|")[1]))
    return names


def documented_capabilities():
    return set(re.findall(r"CAP_([A-Z_]+)", (REPO / "docs/privileges.md").read_text()))


def documented_api_rights():
    """(apiGroup, resource, verb) rows of docs/security.md "Kubernetes API rights"."""
    text = (REPO / "docs/security.md").read_text()
    section = text.split("## Kubernetes API rights", 1)[1].split("\n## ", 1)[0]
    rights = set()
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].startswith("`"):
            group, resource, verb = (c.strip("`") for c in cells[:3])
            rights.add(("" if group == "core" else group, resource, verb))
    return rights


def rule_errors(manifests):
    """Errors of the project rules over all manifests."""
    errors = []
    names, version = built_images()
    if not names:
        errors.append("scripts/build-images.sh: no kuma-tproxy-*:$TAG image names found")
    allowed = {f"{n}:{version}" for n in names}
    env_docs = documented_installer_env()
    caps = documented_capabilities()
    rights = documented_api_rights()
    for m in manifests:
        for path, c, kind in containers(m.doc):
            image = c.get("image")
            example = (m.path.name.startswith("example") and kind == "containers"
                       and image in EXAMPLE_WORKLOAD_IMAGES)
            if image is not None and image not in allowed and not example:
                errors.append(f"{m.name} {path}.image: {image!r} is not one of "
                              f"{sorted(allowed)} (scripts/build-images.sh, project version)")
            for cap in (((c.get("securityContext") or {}).get("capabilities") or {})
                        .get("add") or []):
                if cap not in caps:
                    errors.append(f"{m.name} {path}: capability {cap} is not named in "
                                  "docs/privileges.md")
            if m.doc.get("kind") == "DaemonSet" or "daemonset" in (m.patch_target or ""):
                for e in c.get("env") or []:
                    if e.get("name") not in env_docs:
                        errors.append(f"{m.name} {path}: environment variable {e.get('name')} "
                                      "is not documented in docs/cni.md (installer Environment)")
        if m.doc.get("kind") in ("ClusterRole", "Role"):
            for i, rule in enumerate(m.doc.get("rules") or []):
                for g in rule.get("apiGroups") or [""]:
                    for r in rule.get("resources") or []:
                        for v in rule.get("verbs") or []:
                            if (g, r, v) not in rights:
                                errors.append(f"{m.name} rules[{i}]: {v} on {g or 'core'}/{r} "
                                              "is not listed in docs/security.md "
                                              "(Kubernetes API rights)")
                if rule.get("nonResourceURLs") or rule.get("resourceNames") is not None:
                    errors.append(f"{m.name} rules[{i}]: nonResourceURLs/resourceNames are not "
                                  "in docs/security.md")
    if not env_docs:
        errors.append("docs/cni.md: no installer environment table found")
    if not rights:
        errors.append("docs/security.md: no Kubernetes API rights table found")
    return errors
