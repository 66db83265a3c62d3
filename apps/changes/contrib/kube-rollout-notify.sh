#!/bin/sh
# Report a Kubernetes Deployment rollout to the AIOps change webhook (the generic change payload).
#
#   AIOPS_CHANGES_URL=https://aiops.example.com/hooks/changes/<token>/ \
#   [AIOPS_CHANGES_SECRET=<bearer secret of the source>] [KUBECTL=kubectl] [ROLLOUT_TIMEOUT=10m] \
#     kube-rollout-notify.sh <namespace> <deployment> [environment]
#
# Run it right after `kubectl apply` / `kubectl set image` (in CI or by hand): it waits for the
# rollout, then posts one change: the deployment as the service, the first container's image tag as
# the version, "completed" or "failed" from `kubectl rollout status`. The deployment's revision
# annotation is the external id, so running it twice for one rollout records one change. The
# server fills in the previous version from the last change it recorded for the same service.
set -u

namespace=${1:?usage: kube-rollout-notify.sh <namespace> <deployment> [environment]}
deployment=${2:?usage: kube-rollout-notify.sh <namespace> <deployment> [environment]}
environment=${3:-}
url=${AIOPS_CHANGES_URL:?set AIOPS_CHANGES_URL to the change source URL}
kubectl=${KUBECTL:-kubectl}

json_escape() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g'; }
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }

started=$(now)
if "$kubectl" -n "$namespace" rollout status "deployment/$deployment" --timeout="${ROLLOUT_TIMEOUT:-10m}" >&2; then
  status=completed
else
  status=failed
fi
finished=$(now)

facts=$("$kubectl" -n "$namespace" get deployment "$deployment" \
  -o 'jsonpath={.spec.template.spec.containers[0].image}{"|"}{.metadata.annotations.deployment\.kubernetes\.io/revision}') || exit 1
image=${facts%%|*}
revision=${facts#*|}
case "${image##*/}" in
  *:*) version=${image##*:} ;;
  *) version=latest ;;
esac
author=${AIOPS_CHANGE_AUTHOR:-${USER:-kubernetes}}

body=$(printf '{"event_type":"deployment","source":"kubernetes","service":"%s","environment":"%s","version":"%s","description":"%s","user":"%s","timestamp":"%s","finished_at":"%s","status":"%s","external_id":"%s","metadata":{"namespace":"%s","image":"%s","revision":"%s"}}' \
  "$(json_escape "$deployment")" "$(json_escape "$environment")" "$(json_escape "$version")" \
  "$(json_escape "Rollout of $deployment to $image")" "$(json_escape "$author")" "$started" "$finished" "$status" \
  "$(json_escape "$namespace/$deployment#$revision")" "$(json_escape "$namespace")" "$(json_escape "$image")" \
  "$(json_escape "$revision")")

if [ -n "${AIOPS_CHANGES_SECRET:-}" ]; then
  exec curl -sS --fail-with-body -X POST -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $AIOPS_CHANGES_SECRET" --data "$body" "$url"
fi
exec curl -sS --fail-with-body -X POST -H 'Content-Type: application/json' --data "$body" "$url"
