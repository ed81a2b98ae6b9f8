"""Strict validation of Kubernetes objects against the API models of the python3-kubernetes
package (Debian 12: 22.6.0, the Kubernetes 1.22 API), and strategic-merge patching.

The package's generated models describe every field of every kind: `openapi_types` (attribute ->
type name), `attribute_map` (attribute -> JSON name) and setters that refuse None for required
fields. The client uses them to build objects; here they check parsed YAML instead:
  - a field that is not in the model is an error, at any depth;
  - a value whose type is not the model's is an error (str, int, bool, float, list[...],
    dict(str, ...), nested models; 'object' fields such as IntOrString accept str or int);
  - a required field that is missing is an error (not for patches, which are partial).
Errors name the document and the path, e.g. `spec.template.spec.containers[0].imagePullPolicyy`.
"""

import copy
import inspect
import re

import kubernetes.client.models as models

# apiVersion -> prefix of the model class names.
_API_VERSIONS = {
    "v1": "V1",
    "apps/v1": "V1",
    "rbac.authorization.k8s.io/v1": "V1",
    "policy/v1": "V1",
    "scheduling.k8s.io/v1": "V1",
}

# Fields the API server fills in; a manifest must not carry them.
_SERVER_FIELDS = {"status"}

_required_cache = {}


def model_for(api_version, kind):
    """The model class of apiVersion/kind, or None when the package has none."""
    prefix = _API_VERSIONS.get(api_version)
    if prefix is None or not isinstance(kind, str):
        return None
    return getattr(models, prefix + kind, None)


def required_fields(cls):
    """Attributes whose setter refuses None: the API's required fields."""
    if cls not in _required_cache:
        required = set()
        for attr in cls.openapi_types:
            prop = getattr(cls, attr, None)
            if isinstance(prop, property) and prop.fset is not None:
                if "must not be `None`" in inspect.getsource(prop.fset):
                    required.add(attr)
        _required_cache[cls] = required
    return _required_cache[cls]


def _type_matches(type_name, value):
    if type_name == "str":
        return isinstance(value, str)
    if type_name == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "bool":
        return isinstance(value, bool)
    if type_name == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if type_name == "datetime":
        return isinstance(value, str)
    if type_name == "object":  # IntOrString, RawExtension: str or int in manifests
        return isinstance(value, (str, int)) and not isinstance(value, bool)
    raise AssertionError("unhandled type " + type_name)


def validate(value, type_name, path, errors, partial=False):
    """Appends to `errors` every problem of `value` as an instance of `type_name`."""
    m = re.fullmatch(r"list\[(.+)\]", type_name)
    if m:
        if not isinstance(value, list):
            errors.append(f"{path}: expected a list, got {type(value).__name__}")
            return
        for i, item in enumerate(value):
            validate(item, m.group(1), f"{path}[{i}]", errors, partial)
        return
    m = re.fullmatch(r"dict\(str, (.+)\)", type_name)
    if m:
        if not isinstance(value, dict):
            errors.append(f"{path}: expected a map, got {type(value).__name__}")
            return
        for k, v in value.items():
            if not isinstance(k, str):
                errors.append(f"{path}: key {k!r} is not a string")
            validate(v, m.group(1), f"{path}.{k}", errors, partial)
        return
    cls = getattr(models, type_name, None)
    if cls is None:
        if not _type_matches(type_name, value):
            errors.append(f"{path}: expected {type_name}, got {type(value).__name__} {value!r}")
        return
    if not isinstance(value, dict):
        errors.append(f"{path}: expected an object ({type_name}), got {type(value).__name__}")
        return
    by_json = {json: attr for attr, json in cls.attribute_map.items()}
    for key, v in value.items():
        attr = by_json.get(key)
        if attr is None or (path == "" and key in _SERVER_FIELDS):
            errors.append(f"{path + '.' if path else ''}{key}: unknown field of {type_name}")
            continue
        validate(v, cls.openapi_types[attr], f"{path + '.' if path else ''}{key}", errors,
                 partial)
    if not partial:
        for attr in sorted(required_fields(cls)):
            if cls.attribute_map[attr] not in value:
                errors.append(f"{path or '.'}: required field {cls.attribute_map[attr]} of "
                              f"{type_name} is missing")


def validate_object(doc, partial=False):
    """Errors of one manifest document (a dict with apiVersion and kind)."""
    if not isinstance(doc, dict):
        return ["the document is not a mapping"]
    cls = model_for(doc.get("apiVersion"), doc.get("kind"))
    if cls is None:
        return [f"unknown apiVersion/kind {doc.get('apiVersion')!r}/{doc.get('kind')!r}"]
    errors = []
    validate(doc, cls.__name__, "", errors, partial)
    return errors


# Strategic merge: list fields merged item by item on these keys (the patchMergeKey of the
# Kubernetes API for the fields our manifests use); other lists are replaced.
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "volumes": "name",
    "env": "name",
    "volumeMounts": "mountPath",
    "ports": "containerPort",
    "imagePullSecrets": "name",
}


def strategic_merge(base, patch, path=""):
    """`base` with `patch` applied as a strategic-merge patch (no $patch directives)."""
    if not isinstance(patch, dict) or not isinstance(base, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(base)
    for key, value in patch.items():
        if key.startswith("$"):
            raise ValueError(f"{path}{key}: patch directives are not supported here")
        if value is None:
            out.pop(key, None)
        elif key in MERGE_KEYS and isinstance(value, list) and isinstance(out.get(key), list):
            merge_key = MERGE_KEYS[key]
            merged = out[key]
            for item in value:
                index = next((i for i, old in enumerate(merged)
                              if isinstance(old, dict) and isinstance(item, dict)
                              and old.get(merge_key) == item.get(merge_key)), None)
                if index is None:
                    merged.append(copy.deepcopy(item))
                else:
                    merged[index] = strategic_merge(merged[index], item, f"{path}{key}.")
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = strategic_merge(out[key], value, f"{path}{key}.")
        else:
            out[key] = copy.deepcopy(value)
    return out
