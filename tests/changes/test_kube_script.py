"""The Kubernetes rollout script, run for real: kubectl against a loopback API server, curl to the hook."""

import shutil
import subprocess
from pathlib import Path

import pytest

from apps.changes.models import ChangeEvent
from tests.changes.factories import ChangeSourceFactory

SCRIPT = Path(__file__).parents[2] / "apps" / "changes" / "contrib" / "kube-rollout-notify.sh"
pytestmark = pytest.mark.skipif(
    not (shutil.which("kubectl") and shutil.which("curl")), reason="needs kubectl and curl on PATH"
)

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {
        "name": "checkout",
        "namespace": "shop",
        "generation": 4,
        "resourceVersion": "812",
        "uid": "6d2c4f0e-2b8e-4d0b-9a52-7f3a0c1d9e11",
        "annotations": {"deployment.kubernetes.io/revision": "7"},
    },
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "checkout"}},
        "template": {
            "metadata": {"labels": {"app": "checkout"}},
            "spec": {"containers": [{"name": "app", "image": "registry.example.com/shop/checkout:v1.8.2"}]},
        },
    },
    "status": {
        "observedGeneration": 4,
        "replicas": 2,
        "updatedReplicas": 2,
        "readyReplicas": 2,
        "availableReplicas": 2,
        "conditions": [
            {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"},
        ],
    },
}
# What kubectl reads: version, (non-aggregated) discovery, the deployment, rollout status's list+watch.
API = {
    "/version": {"major": "1", "minor": "32", "gitVersion": "v1.32.4"},
    "/api": {"kind": "APIVersions", "versions": ["v1"]},
    "/apis": {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [
            {
                "name": "apps",
                "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
                "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"},
            }
        ],
    },
    "/api/v1": {"kind": "APIResourceList", "groupVersion": "v1", "resources": []},
    "/apis/apps/v1": {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": "apps/v1",
        "resources": [
            {
                "name": "deployments",
                "singularName": "deployment",
                "namespaced": True,
                "kind": "Deployment",
                "verbs": ["get", "list", "watch"],
                "shortNames": ["deploy"],
            }
        ],
    },
    "/apis/apps/v1/namespaces/shop/deployments/checkout": DEPLOYMENT,
    "/apis/apps/v1/namespaces/shop/deployments": {
        "apiVersion": "apps/v1",
        "kind": "DeploymentList",
        "metadata": {"resourceVersion": "812"},
        "items": [DEPLOYMENT],
    },
}


def _kube_api(http_stub):
    api = http_stub(name="kubernetes-api")
    api.set_default(404, json={"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 404})

    def read_only(request):
        assert request.method == "GET", f"the script must only read the cluster, not {request.method}"
        assert request.path in API, f"unexpected API path {request.path}"

    api.validate(read_only)
    for path, document in API.items():
        for _ in range(8):  # each kubectl run repeats discovery; a queued answer serves one request
            api.respond(200, json=document, method="GET", path=path)
    return api


def _run(tmp_path, api, url, *extra):
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: test\n"
        f"clusters:\n- name: test\n  cluster:\n    server: {api.url}\n"
        "contexts:\n- name: test\n  context:\n    cluster: test\n    user: test\n"
        "users:\n- name: test\n  user: {}\n"
    )
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "KUBECONFIG": str(kubeconfig),
        "AIOPS_CHANGES_URL": url,
        "AIOPS_CHANGE_AUTHOR": "ci-bot",
        "ROLLOUT_TIMEOUT": "20s",
    }
    return subprocess.run(
        ["sh", str(SCRIPT), "shop", "checkout", *extra], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.django_db(transaction=True)
def test_the_rollout_script_reports_one_change(tmp_path, http_stub, live_server, org_a):
    source = ChangeSourceFactory(organization=org_a, kind="kubernetes")
    api = _kube_api(http_stub)
    url = f"{live_server.url}/hooks/changes/{source.token}/"
    for _ in range(2):  # the same rollout reported twice is one change
        result = _run(tmp_path, api, url, "production")
        assert result.returncode == 0, result.stderr
        assert '"status": "accepted"' in result.stdout or '"status":"accepted"' in result.stdout.replace(" ", "")
    api.assert_no_contract_errors()
    change = ChangeEvent.objects.get()
    assert (change.source, change.service, change.environment, change.version, change.status) == (
        "kubernetes",
        "checkout",
        "production",
        "v1.8.2",
        "completed",
    )
    assert change.external_id == "shop/checkout#7" and change.author == "ci-bot"
    assert change.metadata == {
        "namespace": "shop",
        "image": "registry.example.com/shop/checkout:v1.8.2",
        "revision": "7",
    }
    assert change.finished_at is not None and change.change_source == source
