"""The offline analyser on real-world alerts.

Names and labels are those of the public rule collections (kube-prometheus / kubernetes-mixin,
node-mixin, awesome-prometheus-alerts, the blackbox and JVM mixins). Each row says which knowledge
entry must explain the alert and what the sections must contain for that alert's labels.
"""

import pytest

from apps.analysis import context, knowledge, offline
from apps.analysis.schema import validate
from apps.analysis.subjects import Subject
from tests.alerts.factories import AlertFactory

pytestmark = pytest.mark.django_db

NODE = {"job": "node-exporter"}
KSM = {"job": "kube-state-metrics"}

# (alertname, labels, expected entry, phrases in root cause, phrases in remediation, runbook)
TABLE = [
    (
        "NodeFilesystemSpaceFillingUp",
        {**NODE, "instance": "node-1:9100", "device": "/dev/sda1", "fstype": "ext4", "mountpoint": "/var"},
        "host-disk-filling",
        ["/var", "node-1:9100", "/dev/sda1"],
        ["du -xh /var"],
        "disk-cleanup",
    ),
    (
        "HostOutOfDiskSpace",
        {**NODE, "instance": "db-2:9100", "mountpoint": "/", "device": "/dev/nvme0n1p1"},
        "host-disk-filling",
        ["db-2:9100"],
        ["lsof +L1"],
        "disk-cleanup",
    ),
    (
        "HostDiskWillFillIn24Hours",
        {**NODE, "instance": "log-1:9100", "mountpoint": "/srv"},
        "host-disk-filling",
        ["/srv"],
        ["df -h /srv"],
        "disk-cleanup",
    ),
    (
        "HostOutOfMemory",
        {**NODE, "instance": "web-3:9100"},
        "host-out-of-memory",
        ["web-3:9100", "memory"],
        ["ps aux --sort=-rss"],
        "restart-service",
    ),
    (
        "HostHighCpuLoad",
        {**NODE, "instance": "worker-7:9100"},
        "host-high-cpu",
        ["worker-7:9100", "CPU"],
        ["top -b"],
        "scale-out",
    ),
    (
        "HostOomKillDetected",
        {**NODE, "instance": "api-1:9100"},
        "host-oom-kill",
        ["OOM killer", "api-1:9100"],
        ["journalctl -k"],
        "restart-service",
    ),
    (
        "NodeClockSkewDetected",
        {**NODE, "instance": "etcd-2:9100"},
        "host-clock-skew",
        ["etcd-2:9100", "NTP"],
        ["chronyc tracking"],
        "fix-ntp",
    ),
    (
        "HostNetworkReceiveErrors",
        {**NODE, "instance": "lb-1:9100", "device": "eth0"},
        "host-network-errors",
        ["eth0", "lb-1:9100"],
        ["ethtool eth0"],
        None,
    ),
    (
        "KubePodCrashLooping",
        {**KSM, "namespace": "shop", "pod": "checkout-5c6d8-x2x9k", "container": "app"},
        "kube-pod-crashlooping",
        ["shop/checkout-5c6d8-x2x9k", "CrashLoopBackOff"],
        ["kubectl logs -n shop checkout-5c6d8-x2x9k -c app --previous"],
        "rollback-deployment",
    ),
    (
        "KubePodNotReady",
        {**KSM, "namespace": "shop", "pod": "cart-66b9-fq2lm"},
        "kube-pod-not-ready",
        ["shop/cart-66b9-fq2lm", "Pending"],
        ["kubectl describe pod -n shop cart-66b9-fq2lm"],
        None,
    ),
    (
        "KubeDeploymentReplicasMismatch",
        {**KSM, "namespace": "shop", "deployment": "cart"},
        "kube-deployment-replicas-mismatch",
        ["shop/cart"],
        ["rollout undo deployment/cart -n shop"],
        "rollback-deployment",
    ),
    (
        "KubeNodeNotReady",
        {**KSM, "node": "ip-10-0-1-23.ec2.internal", "condition": "Ready", "status": "true"},
        "kube-node-not-ready",
        ["ip-10-0-1-23.ec2.internal", "kubelet"],
        ["kubectl describe node ip-10-0-1-23.ec2.internal", "kubectl drain ip-10-0-1-23.ec2.internal"],
        "drain-node",
    ),
    (
        "KubeContainerOOMKilled",
        {**KSM, "namespace": "orders", "pod": "orders-api-0", "container": "api"},
        "kube-container-oom-killed",
        ["orders/orders-api-0", "memory limit"],
        ["lastState.terminated.reason"],
        "increase-memory-limit",
    ),
    (
        "KubernetesContainerOomKiller",
        {**KSM, "namespace": "orders", "pod": "worker-1", "container": "worker"},
        "kube-container-oom-killed",
        ["orders/worker-1"],
        ["Raise the memory limit"],
        "increase-memory-limit",
    ),
    (
        "KubeJobFailed",
        {**KSM, "namespace": "batch", "job_name": "nightly-report-28463"},
        "kube-job-failed",
        ["batch/nightly-report-28463"],
        ["job-name=nightly-report-28463"],
        None,
    ),
    (
        "KubePersistentVolumeFillingUp",
        {"job": "kubelet", "namespace": "data", "persistentvolumeclaim": "data-postgres-0"},
        "kube-pvc-filling",
        ["data-postgres-0", "namespace data"],
        ["kubectl edit pvc data-postgres-0 -n data"],
        "expand-volume",
    ),
    (
        "BlackboxProbeFailed",
        {"job": "blackbox", "instance": "https://shop.example.com/health"},
        "blackbox-probe-failed",
        ["https://shop.example.com/health"],
        ["curl -sv --max-time 10 https://shop.example.com/health"],
        None,
    ),
    (
        "BlackboxSlowProbe",
        {"job": "blackbox", "instance": "https://shop.example.com/"},
        "blackbox-slow-probe",
        ["https://shop.example.com/"],
        ["%{time_total}"],
        None,
    ),
    (
        "BlackboxSslCertificateWillExpireSoon",
        {"job": "blackbox", "instance": "https://api.example.com"},
        "certificate-expiry",
        ["https://api.example.com", "renewal"],
        ["openssl s_client", "certbot renew"],
        "renew-certificate",
    ),
    (
        "CertManagerCertificateExpiringSoon",
        {"namespace": "ingress", "name": "wildcard-example-com"},
        "certificate-expiry",
        ["expires soon"],
        ["kubectl get certificate"],
        "renew-certificate",
    ),
    (
        "PostgresqlDown",
        {"job": "postgres", "instance": "pg-1:9187"},
        "postgres-down",
        ["pg-1:9187", "pg_up == 0"],
        ["systemctl status postgresql"],
        "postgres-failover",
    ),
    (
        "PostgresqlTooManyConnections",
        {"job": "postgres", "instance": "pg-1:9187", "datname": "orders"},
        "postgres-too-many-connections",
        ["database orders", "max_connections"],
        ["pg_stat_activity"],
        "postgres-connections",
    ),
    (
        "PostgresqlReplicationLag",
        {"job": "postgres", "instance": "pg-2:9187"},
        "postgres-replication-lag",
        ["pg-2:9187", "WAL"],
        ["pg_stat_replication"],
        None,
    ),
    (
        "PostgresqlDeadLocks",
        {"job": "postgres", "datname": "orders"},
        "postgres-deadlocks",
        ["orders", "deadlocking"],
        ["deadlock detected"],
        None,
    ),
    (
        "RedisDown",
        {"job": "redis", "instance": "cache-1:9121"},
        "redis-down",
        ["cache-1:9121"],
        ["redis-cli -h cache-1:9121 ping"],
        "restart-service",
    ),
    (
        "RedisOutOfConfiguredMaxmemory",
        {"job": "redis", "instance": "cache-1:9121"},
        "redis-memory-high",
        ["maxmemory-policy"],
        ["--bigkeys"],
        None,
    ),
    (
        "RedisRejectedConnections",
        {"job": "redis", "instance": "cache-2:9121"},
        "redis-rejected-connections",
        ["maxclients"],
        ["client list"],
        None,
    ),
    (
        "JvmMemoryFillingUp",
        {"job": "orders", "instance": "orders:8080", "area": "heap"},
        "jvm-heap",
        ["orders:8080", "heap"],
        ["GC.class_histogram"],
        "restart-service",
    ),
    (
        "NginxHighHttp5xxErrorRate",
        {"job": "nginx", "instance": "edge-1:9113"},
        "nginx-5xx",
        ["edge-1:9113", "502/504"],
        ["error.log"],
        None,
    ),
    (
        "NginxLatencyHigh",
        {"job": "nginx", "instance": "edge-1:9113"},
        "nginx-latency",
        ["upstream"],
        ["upstream_response_time"],
        None,
    ),
    (
        "TargetDown",
        {"job": "payment-api", "namespace": "pay", "service": "payment-api"},
        "target-down",
        ["payment-api", "up == 0"],
        ["/targets"],
        "restart-service",
    ),
    (
        "InstanceDown",
        {"job": "node", "instance": "10.0.3.7:9100"},
        "target-down",
        ["10.0.3.7:9100"],
        ["systemctl status"],
        "restart-service",
    ),
    (
        "HighErrorRate",
        {"service": "payment-api", "env": "production"},
        "high-error-rate",
        ["payment-api", "deploy"],
        ["roll it back"],
        "rollback-deployment",
    ),
    (
        "HighLatency",
        {"service": "search"},
        "high-latency",
        ["search", "saturation"],
        ["latency histogram"],
        "scale-out",
    ),
]


@pytest.mark.parametrize(
    ("name", "labels", "entry_id", "in_root_cause", "in_remediation", "runbook"),
    TABLE,
    ids=[row[0] + "-" + row[2] for row in TABLE],
)
def test_known_alert(org_a, name, labels, entry_id, in_root_cause, in_remediation, runbook):
    alert = AlertFactory(
        organization=org_a,
        name=name,
        labels={"alertname": name, "severity": "critical", **labels},
        service=labels.get("service", ""),
        instance=labels.get("instance", ""),
    )
    subject = Subject.for_alert(alert)
    assembled = context.assemble(subject)
    result = offline.analyse(subject, assembled)

    assert validate(result) is result  # the same structure an LLM must produce
    entry = knowledge.find(entry_id)
    assert knowledge.match(name, alert.labels).id == entry_id
    assert result["evidence"][0] == {
        "section": "root_cause",
        "refs": ["E1"],
        "claim": result["evidence"][0]["claim"],
    }
    assert (
        f"“{entry.title}”" in result["evidence"][0]["claim"]
    )  # explainable: which entry, cited on the alert
    for phrase in in_root_cause:
        assert phrase in result["root_cause"], (phrase, result["root_cause"])
    steps = " ".join(s["step"] + " " + s.get("command", "") for s in result["remediation"])
    for phrase in in_remediation:
        assert phrase in steps, (phrase, steps)
    assert "<" + "namespace>" not in result["root_cause"]  # labels that exist are always filled in
    assert result["suggested_runbook"] == runbook
    assert result["impact"] and result["prevention"] and 0 < result["confidence"] < 1


def test_table_covers_every_family():
    families = {knowledge.find(row[2]).family for row in TABLE}
    assert families == {e.family for e in knowledge.entries()}
    assert len(TABLE) >= 25


def test_unknown_alert_falls_back_to_its_own_text(org_a):
    alert = AlertFactory(
        organization=org_a,
        name="QueueDepthTooHigh",
        service="billing-worker",
        summary="Queue invoices has 5400 messages",
        labels={"alertname": "QueueDepthTooHigh"},
    )
    subject = Subject.for_alert(alert)
    result = offline.analyse(subject, context.assemble(subject))
    assert "Queue invoices has 5400 messages" in result["root_cause"]
    assert "no specific knowledge-base entry" in result["evidence"][0]["claim"]
    assert result["confidence"] <= 0.25
