"""Default PromQL per resource kind (the plan's node_exporter queries, postgres_exporter, RabbitMQ).

They pre-fill a new resource query (admin, portal, API, `install_defaults`) and stay editable there.
"""
from .choices import ResourceKind, Unit

FS = 'fstype!~"tmpfs|overlay|squashfs"'

DEFAULTS: dict[str, dict] = {
    ResourceKind.CPU: {
        "usage_query": '100 - (avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m])) * 100)',
        "capacity_query": "100", "unit": Unit.PERCENT, "name_labels": "instance"},
    ResourceKind.MEMORY: {
        "usage_query": "node_memory_MemTotal_bytes - node_memory_MemAvailable_bytes",
        "capacity_query": "node_memory_MemTotal_bytes", "unit": Unit.BYTES, "name_labels": "instance"},
    ResourceKind.DISK: {
        "usage_query": f"node_filesystem_size_bytes{{{FS}}} - node_filesystem_avail_bytes{{{FS}}}",
        "capacity_query": f"node_filesystem_size_bytes{{{FS}}}", "unit": Unit.BYTES,
        "name_labels": "instance,mountpoint"},
    ResourceKind.NETWORK: {
        "usage_query": 'sum by (instance) (rate(node_network_receive_bytes_total{device!="lo"}[5m]) '
                       '+ rate(node_network_transmit_bytes_total{device!="lo"}[5m])) * 8',
        "capacity_query": 'sum by (instance) (node_network_speed_bytes{device!="lo"}) * 8',
        "unit": Unit.BITS_PER_SECOND, "name_labels": "instance"},
    ResourceKind.DB_CONNECTIONS: {
        "usage_query": "sum by (instance) (pg_stat_activity_count)",
        "capacity_query": "max by (instance) (pg_settings_max_connections)", "unit": Unit.COUNT,
        "name_labels": "instance"},
    ResourceKind.QUEUE_DEPTH: {
        "usage_query": "sum by (queue, vhost) (rabbitmq_queue_messages)",
        "capacity_query": "10000", "unit": Unit.COUNT, "name_labels": "vhost,queue"},
    ResourceKind.CUSTOM: {"usage_query": "", "capacity_query": "100", "unit": Unit.PERCENT, "name_labels": "instance"},
}


def defaults_for(kind: str) -> dict:
    return dict(DEFAULTS.get(kind, DEFAULTS[ResourceKind.CUSTOM]))
