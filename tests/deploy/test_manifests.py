"""The manifests under deploy/ against the Kubernetes 1.22 API models and the project's rules
(deploy_manifests.py), and the validator itself: it must catch a misspelled field, a wrong type,
a missing required field and each broken rule in a copy of a real manifest.

Run: /usr/bin/python3 -m unittest -v test_manifests  (from this directory; CTest does this)
"""

import copy
import pathlib
import shutil
import tempfile
import unittest

import yaml

import deploy_manifests as dm
import k8s_models

DEPLOY = dm.REPO / "deploy"


class DeployTree(unittest.TestCase):
    def test_every_document_matches_the_api_models(self):
        manifests = dm.load_tree(DEPLOY)
        kinds = {(m.doc.get("kind"), m.patch_target is not None) for m in manifests}
        for expected in [("ServiceAccount", False), ("ClusterRole", False),
                         ("ClusterRoleBinding", False), ("ConfigMap", False),
                         ("DaemonSet", False), ("Deployment", False)]:
            self.assertIn(expected, kinds, "deploy/ lacks a " + expected[0])
        self.assertGreaterEqual(sum(1 for m in manifests if m.patch_target), 3)
        errors = [f"{m.name}: {e}" for m in manifests for e in dm.model_errors(m)]
        self.assertEqual(errors, [])

    def test_project_rules_hold(self):
        self.assertEqual(dm.rule_errors(dm.load_tree(DEPLOY)), [])

    def test_network_configuration_template_is_json_of_type_kuma_cni(self):
        import json
        for m in dm.load_tree(DEPLOY):
            if m.doc.get("kind") == "ConfigMap":
                conf = json.loads(m.doc["data"]["cni_network_config"])
                self.assertEqual(conf["type"], "kuma-cni", m.name)
                self.assertEqual(conf["kubernetes"]["kubeconfig"], "__KUBECONFIG_FILEPATH__")
                self.assertIsInstance(conf["tproxy_config"], dict)
                self.assertIsInstance(conf["allow_pod_settings"], list)
                self.assertIsInstance(conf["allowed_backends"], list)


class Validator(unittest.TestCase):
    """Each case breaks one thing in a copy of a real manifest and expects exactly that error."""

    def setUp(self):
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="kt-deploy-"))
        self.addCleanup(shutil.rmtree, self.tmp)
        self.daemonset = dm.load_file(DEPLOY / "cni/daemonset.yaml")[0].doc

    def errors_of(self, doc, name="daemonset.yaml"):
        path = self.tmp / name
        path.write_text(yaml.safe_dump(doc))
        return [e for m in dm.load_file(path) for e in dm.model_errors(m)]

    def test_the_unchanged_copy_passes(self):
        self.assertEqual(self.errors_of(self.daemonset), [])

    def test_misspelled_field_deep_in_the_pod_template_fails(self):
        doc = copy.deepcopy(self.daemonset)
        probe = doc["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]
        probe["periodSecond"] = probe.pop("periodSeconds")
        errors = self.errors_of(doc)
        self.assertEqual(len(errors), 1, errors)
        self.assertIn("spec.template.spec.containers[0].readinessProbe.periodSecond: unknown field",
                      errors[0])

    def test_misspelled_field_in_the_text_fails(self):
        text = (DEPLOY / "cni/daemonset.yaml").read_text()
        self.assertIn("terminationGracePeriodSeconds:", text)
        path = self.tmp / "daemonset.yaml"
        path.write_text(text.replace("terminationGracePeriodSeconds:",
                                     "terminationGracePeriodSecs:"))
        errors = [e for m in dm.load_file(path) for e in dm.model_errors(m)]
        self.assertEqual(len(errors), 1, errors)
        self.assertIn("terminationGracePeriodSecs: unknown field of V1PodSpec", errors[0])

    def test_wrong_type_fails(self):
        doc = copy.deepcopy(self.daemonset)
        doc["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = "10"
        self.assertIn("expected int", " ".join(self.errors_of(doc)))
        doc = copy.deepcopy(self.daemonset)
        doc["spec"]["template"]["spec"]["containers"][0]["env"] = {"A": "b"}
        self.assertIn("expected a list", " ".join(self.errors_of(doc)))

    def test_missing_required_field_fails(self):
        doc = copy.deepcopy(self.daemonset)
        del doc["spec"]["selector"]
        self.assertIn("required field selector of V1DaemonSetSpec is missing",
                      " ".join(self.errors_of(doc)))
        doc = copy.deepcopy(self.daemonset)
        del doc["spec"]["template"]["spec"]["containers"][0]["name"]
        self.assertIn("required field name of V1Container is missing",
                      " ".join(self.errors_of(doc)))

    def test_duplicate_key_fails(self):
        path = self.tmp / "dup.yaml"
        path.write_text("apiVersion: v1\nkind: ServiceAccount\nkind: ServiceAccount\n"
                        "metadata: {name: x}\n")
        with self.assertRaises(yaml.YAMLError):
            dm.load_file(path)

    def test_misspelled_field_in_a_patch_fails(self):
        text = (DEPLOY / "init/init-container.patch.yaml").read_text()
        path = self.tmp / "p.patch.yaml"
        path.write_text(text.replace("readOnlyRootFilesystem:", "readOnlyRootFileSystem:"))
        errors = [e for m in dm.load_file(path) for e in dm.model_errors(m)]
        self.assertTrue(errors)
        self.assertTrue(all("readOnlyRootFileSystem: unknown field" in e for e in errors), errors)

    def test_strategic_merge_keeps_and_adds_list_items_by_key(self):
        base = {"containers": [{"name": "a", "env": [{"name": "X", "value": "1"}]}]}
        patch = {"containers": [{"name": "a", "env": [{"name": "Y", "value": "2"}]},
                                {"name": "b"}]}
        self.assertEqual(k8s_models.strategic_merge(base, patch),
                         {"containers": [{"name": "a", "env": [{"name": "X", "value": "1"},
                                                               {"name": "Y", "value": "2"}]},
                                         {"name": "b"}]})

    def rules_of(self, doc):
        path = self.tmp / "x.yaml"
        path.write_text(yaml.safe_dump(doc))
        return dm.rule_errors(dm.load_file(path))

    def test_rule_foreign_image_fails(self):
        doc = copy.deepcopy(self.daemonset)
        doc["spec"]["template"]["spec"]["containers"][0]["image"] = "kuma-tproxy-cni:latest"
        self.assertIn("'kuma-tproxy-cni:latest' is not one of", " ".join(self.rules_of(doc)))

    def test_rule_undocumented_environment_variable_fails(self):
        doc = copy.deepcopy(self.daemonset)
        doc["spec"]["template"]["spec"]["containers"][0]["env"].append(
            {"name": "CNI_NET_DIRECTORY", "value": "/x"})
        self.assertIn("CNI_NET_DIRECTORY is not documented", " ".join(self.rules_of(doc)))

    def test_rule_unnamed_capability_fails(self):
        doc = copy.deepcopy(self.daemonset)
        doc["spec"]["template"]["spec"]["containers"][0]["securityContext"]["capabilities"][
            "add"] = ["SYS_MODULE_LOADER"]
        self.assertIn("capability SYS_MODULE_LOADER is not named", " ".join(self.rules_of(doc)))

    def test_rule_extra_api_right_fails(self):
        role = dm.load_file(DEPLOY / "cni/clusterrole.yaml")[0].doc
        self.assertEqual(self.rules_of(role), [])
        role["rules"][0]["verbs"].append("list")
        self.assertIn("list on core/pods is not listed", " ".join(self.rules_of(role)))


if __name__ == "__main__":
    unittest.main()
