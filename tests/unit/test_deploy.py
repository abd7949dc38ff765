"""The container and Kubernetes files name only what exists: images with a
Dockerfile, ports and probes the services serve, variables their settings
classes read, queues the topology declares."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from pydantic_settings import BaseSettings

from intake.metrics import IntakeMetrics
from intake.settings import IntakeSettings
from notifier.metrics import Metrics as NotifierMetrics
from notifier.settings import NotifierSettings
from shared.prescreen import load_prescreen
from shared.topology import WORK_QUEUES
from tests.support.metrics import exposed_metrics
from triage.metrics import TriageMetrics
from triage.settings import TriageSettings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
SETTINGS: dict[str, type[BaseSettings]] = {
    "intake": IntakeSettings,
    "triage": TriageSettings,
    "notifier": NotifierSettings,
}
PORT_VARIABLE = {"intake": "INTAKE_PORT", "triage": "TRIAGE_HTTP_PORT", "notifier": "NOTIFIER_PORT"}
PROBES = {"/healthz", "/readyz", "/readyz?accepting"}
WORKLOADS = {"Deployment", "StatefulSet"}
# The oldest Kubernetes the manifests are written for.
KUBERNETES_VERSION = "1.30.0"
# Kinds from operators (RabbitMQ Cluster Operator, KEDA): no schema ships for them.
OPERATOR_GROUPS = ("rabbitmq.com/", "keda.sh/")


def variables(service: str) -> set[str]:
    return {name.upper() for name in SETTINGS[service].model_fields}


def default_port(service: str) -> int:
    field = PORT_VARIABLE[service].lower()
    return int(SETTINGS[service].model_fields[field].default)


def manifests() -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    docs = []
    for resource in kustomization["resources"]:
        docs.extend(d for d in yaml.safe_load_all((K8S / resource).read_text()) if d)
    return docs


def deployments() -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in manifests() if d["kind"] in WORKLOADS}


def test_every_kustomize_input_exists_and_parses() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    for resource in kustomization["resources"]:
        assert (K8S / resource).is_file(), resource
    for generator in kustomization["configMapGenerator"]:
        for entry in generator["files"]:
            source = K8S / entry.split("=", 1)[1]
            if source.suffix == ".yaml":
                yaml.safe_load(source.read_text())
            else:
                load_prescreen(source)  # the intake's stems file, checked as the intake does
    for generator in kustomization["secretGenerator"]:
        for env_file in generator["envs"]:
            assert (K8S / env_file).is_file()
    assert {d["kind"] for d in manifests()} >= {
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "ScaledObject",
        "RabbitmqCluster",
    }


def test_every_configured_file_is_mounted_from_its_config_map() -> None:
    for name, variable in [
        ("intake", "INTAKE_PRESCREEN_FILE"),
        ("triage", "TRIAGE_RULES_FILE"),
        ("notifier", "ROUTING_FILE"),
    ]:
        spec = deployments()[name]["spec"]["template"]["spec"]
        [container] = spec["containers"]
        path = Path(next(e["value"] for e in container["env"] if e["name"] == variable))
        mount = next(m for m in container["volumeMounts"] if m["mountPath"] == str(path.parent))
        volume = next(v for v in spec["volumes"] if v["name"] == mount["name"])
        kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
        generator = next(
            g
            for g in kustomization["configMapGenerator"]
            if g["name"] == volume["configMap"]["name"]
        )
        assert any(entry.split("=", 1)[0] == path.name for entry in generator["files"])


def test_the_intake_spool_is_a_persistent_volume_at_the_configured_folder() -> None:
    intake = deployments()["intake"]
    [container] = intake["spec"]["template"]["spec"]["containers"]
    env = {item["name"]: item.get("value") for item in container["env"]}
    [mount] = [m for m in container["volumeMounts"] if m["name"] == "spool"]
    assert mount["mountPath"] == env["INTAKE_SPOOL_DIR"]
    assert [t["metadata"]["name"] for t in intake["spec"]["volumeClaimTemplates"]] == ["spool"]


@pytest.mark.parametrize(
    "resource",
    [d for d in manifests() if not d["apiVersion"].startswith(OPERATOR_GROUPS)],
    ids=lambda d: f"{d['kind']}/{d['metadata']['name']}",
)
def test_every_kubernetes_resource_matches_the_api_schema_strictly(
    resource: dict[str, Any],
) -> None:
    # strict: an unknown or misplaced field fails, instead of being dropped by
    # the API server without a word.
    kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)


def test_every_service_has_a_workload_with_a_dockerfile_image() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    images = {image["name"] for image in kustomization["images"]}
    for service, deployment in deployments().items():
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        assert container["image"] == f"inquiry-{service}"
        assert container["image"] in images
        assert (ROOT / "services" / service / "Dockerfile").is_file()


@pytest.mark.parametrize("service", sorted(SETTINGS))
def test_deployment_variables_ports_and_probes_match_the_service(service: str) -> None:
    [container] = deployments()[service]["spec"]["template"]["spec"]["containers"]
    env = {item["name"]: item.get("value") for item in container["env"]}
    assert set(env) <= variables(service), set(env) - variables(service)
    port = int(env.get(PORT_VARIABLE[service]) or default_port(service))
    assert [p["containerPort"] for p in container["ports"]] == [port]
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] in PROBES
    for secret in (i for i in container["env"] if "valueFrom" in i):
        assert secret["valueFrom"]["secretKeyRef"]["name"] == "inquiry-secrets"


@pytest.mark.parametrize("service", sorted(SETTINGS))
def test_dockerfile_exposes_and_checks_the_service_port(service: str) -> None:
    dockerfile = (ROOT / "services" / service / "Dockerfile").read_text()
    assert f"EXPOSE {default_port(service)}" in dockerfile
    assert "HEALTHCHECK" in dockerfile and "/healthz" in dockerfile
    assert re.search(r"^USER (?!root)", dockerfile, re.MULTILINE)


@pytest.mark.parametrize("service", sorted(SETTINGS))
def test_image_pins_the_lock_and_takes_the_subcommand_kubernetes_passes(service: str) -> None:
    dockerfile = (ROOT / "services" / service / "Dockerfile").read_text()
    project = tomllib.loads((ROOT / "services" / service / "pyproject.toml").read_text())
    assert f"--package {project['project']['name']} " in dockerfile
    assert "pip install --no-cache-dir --require-hashes -r" in dockerfile
    assert "pip install --no-cache-dir --no-deps" in dockerfile, "only ours, unresolved"
    [script] = project["project"]["scripts"]
    assert f'ENTRYPOINT ["{script}"]' in dockerfile
    [container] = deployments()[service]["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["serve"]


def test_the_intake_image_owns_the_spool_folder_compose_mounts_a_volume_on() -> None:
    dockerfile = (ROOT / "services" / "intake" / "Dockerfile").read_text()
    [folder] = re.findall(r"INTAKE_SPOOL_DIR=(\S+)", dockerfile)
    assert f"chown 10001 {folder}" in dockerfile and "USER 10001" in dockerfile
    intake = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["intake"]
    assert intake["environment"]["INTAKE_SPOOL_DIR"] == folder
    assert any(volume.endswith(f":{folder}") for volume in intake["volumes"])


def test_compose_weighs_the_workers_as_their_nice_value_does() -> None:
    # A nice value does not reach across containers; in compose the workers'
    # cpu_shares carry it (README, "Sharing cores"). Linux weighs nice n as
    # 1024 / 1.25**n against the default 1024.
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for worker, settings in (("triage", TriageSettings), ("notifier", NotifierSettings)):
        niceness = settings.model_fields["worker_niceness"].default
        assert services[worker]["cpu_shares"] == pytest.approx(1024 / 1.25**niceness, rel=0.05)
    assert all("cpu_shares" not in services[name] for name in ("intake", "rabbitmq"))


def test_keda_scales_on_queues_the_topology_declares() -> None:
    queues = {spec.name for spec in WORK_QUEUES}
    scaled = [d for d in manifests() if d["kind"] == "ScaledObject"]
    for obj in scaled:
        assert obj["spec"]["scaleTargetRef"]["name"] in deployments()
        for trigger in obj["spec"]["triggers"]:
            assert trigger["metadata"]["queueName"] in queues


def test_secret_keys_used_by_deployments_are_in_the_secret_file() -> None:
    keys = {
        line.split("=", 1)[0]
        for line in (K8S / "secrets.env").read_text().splitlines()
        if "=" in line
    }
    for deployment in deployments().values():
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        for item in container["env"]:
            if "valueFrom" in item:
                assert item["valueFrom"]["secretKeyRef"]["key"] in keys


def test_compose_names_only_existing_dockerfiles_and_variables() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name, service in compose["services"].items():
        if name not in SETTINGS:
            continue
        assert (ROOT / service["build"]["dockerfile"]).is_file()
        assert set(service.get("environment", {})) <= variables(name)
    env_file = (ROOT / "compose.env").read_text().splitlines()
    ours = set().union(*(variables(s) for s in SETTINGS))
    images = {"RABBITMQ_DEFAULT_USER", "RABBITMQ_DEFAULT_PASS", "POSTGRES_PASSWORD"}
    for line in env_file:
        if "=" in line and not line.startswith("#"):
            assert line.split("=", 1)[0] in ours | images, line


def test_each_service_has_a_dead_man_rule_on_a_metric_it_reports_from_its_start() -> None:
    rules = yaml.safe_load((ROOT / "deploy" / "prometheus" / "alerts.yaml").read_text())
    absent = {
        name
        for rule in rules["groups"][0]["rules"]
        for name in re.findall(r"absent\((\w+)\)", rule["expr"])
    }
    registries = (IntakeMetrics().registry, TriageMetrics().registry, NotifierMetrics().registry)
    at_start = {
        sample.name
        for registry in registries
        for family in registry.collect()
        for sample in family.samples
        if not sample.labels
    }
    assert {name.split("_", 1)[0] for name in absent} == set(SETTINGS)
    assert absent <= at_start, absent - at_start


def test_every_alert_rule_reads_real_metrics_and_says_what_to_do() -> None:
    metrics = exposed_metrics()
    rules = yaml.safe_load((ROOT / "deploy" / "prometheus" / "alerts.yaml").read_text())
    [group] = rules["groups"]
    assert len(group["rules"]) >= 5
    for rule in group["rules"]:
        assert rule["labels"]["severity"] in ("page", "ticket"), rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["runbook"]
        used = re.findall(r"\b(?:intake|triage|notifier)_[a-z_]+", rule["expr"])
        assert used, rule["alert"]
        for name in used:
            family = re.sub(r"_(bucket|count|sum)$", "", name)
            assert name in metrics or metrics.get(family) == "histogram", (rule["alert"], name)
