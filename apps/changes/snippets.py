"""Copy-paste set-up for each kind of change source, shown to admins next to the source's secret URL.

The long versions (Argo CD template, Jenkins pipeline, GitHub Actions step, Kubernetes script)
are in docs/changes.md; these are the minimum a person needs to wire the sender up.
"""

from __future__ import annotations

from .choices import SourceKind
from .selectors import source_webhook_url

ARGOCD_TEMPLATE = """\
# argocd-notifications-cm (data:)
service.webhook.aiops-changes: |
  url: {url}
  headers:
  - name: Content-Type
    value: application/json{auth}
template.aiops-change: |
  webhook:
    aiops-changes:
      method: POST
      body: |
        {{
          "app": "{{{{.app.metadata.name}}}}",
          "project": "{{{{.app.spec.project}}}}",
          "namespace": "{{{{.app.spec.destination.namespace}}}}",
          "cluster": "{{{{.app.spec.destination.server}}}}",
          "phase": "{{{{.app.status.operationState.phase}}}}",
          "sync_status": "{{{{.app.status.sync.status}}}}",
          "health_status": "{{{{.app.status.health.status}}}}",
          "revision": "{{{{.app.status.operationState.syncResult.revision}}}}",
          "repo_url": "{{{{.app.spec.source.repoURL}}}}",
          "started_at": "{{{{.app.status.operationState.startedAt}}}}",
          "finished_at": "{{{{.app.status.operationState.finishedAt}}}}",
          "initiated_by": "{{{{.app.status.operationState.operation.initiatedBy.username}}}}",
          "automated": "{{{{.app.status.operationState.operation.initiatedBy.automated}}}}",
          "url": "{{{{.context.argocdUrl}}}}/applications/{{{{.app.metadata.name}}}}"
        }}
trigger.on-sync-aiops: |
  - when: >-
      app.status.operationState != nil and
      app.status.operationState.phase in ['Running', 'Succeeded', 'Failed', 'Error']
    send: [aiops-change]
# and on each Application (or in defaultTriggers):
#   notifications.argoproj.io/subscribe.on-sync-aiops.aiops-changes: ""
"""

JENKINS_STEP = """\
post {{
  always {{
    httpRequest url: '{url}',
                httpMode: 'POST',
                contentType: 'APPLICATION_JSON',{auth}
                validResponseCodes: '200:299',
                requestBody: groovy.json.JsonOutput.toJson([
                  event_type: 'deployment', source: 'jenkins', service: 'payment-service',
                  environment: 'production', version: env.GIT_COMMIT?.take(12), commit_sha: env.GIT_COMMIT,
                  description: "${{env.JOB_NAME}} #${{env.BUILD_NUMBER}}",
                  user: env.BUILD_USER_ID ?: 'jenkins',
                  external_id: "${{env.JOB_NAME}}#${{env.BUILD_NUMBER}}",
                  timestamp: new Date(currentBuild.startTimeInMillis).format("yyyy-MM-dd'T'HH:mm:ssXXX"),
                  duration_seconds: (currentBuild.duration / 1000) as long,
                  status: currentBuild.currentResult == 'SUCCESS' ? 'completed' : 'failed',
                  url: env.BUILD_URL])
  }}
}}
"""

CURL = """\
curl -X POST '{url}' -H 'Content-Type: application/json'{auth} -d '{{
  "event_type": "deployment", "source": "github", "service": "payment-service",
  "environment": "production", "version": "v2.3.1", "previous_version": "v2.3.0",
  "description": "Deploy payment service with new retry logic", "user": "developer@example.com",
  "commit_sha": "abc123", "timestamp": "2024-12-08T10:30:00Z", "status": "completed",
  "metadata": {{"pr_number": 456, "jira_ticket": "PAY-789"}}}}'
"""


def setup_snippet(source) -> str:
    """What to paste into the sender's configuration for this source."""
    url = source_webhook_url(source)
    if source.kind == SourceKind.GITHUB:
        secret = "the secret set on this source" if source.secret else "(set a secret here first, then paste it)"
        return (
            f"Repository (or organisation) → Settings → Webhooks → Add webhook\n"
            f"  Payload URL:  {url}\n  Content type: application/json\n  Secret:       {secret}\n"
            f"  Events:       Deployment statuses, Workflow runs"
        )
    if source.kind == SourceKind.GITLAB:
        token = "the secret set on this source" if source.secret else "(optional: set a secret here first)"
        return (
            f"Project → Settings → Webhooks → Add new webhook\n  URL:          {url}\n"
            f"  Secret token: {token}\n  Trigger:      Deployment events"
        )
    bearer = "Bearer <the secret set on this source>"
    if source.kind == SourceKind.ARGOCD:
        auth = f"\n  - name: Authorization\n    value: {bearer}" if source.secret else ""
        return ARGOCD_TEMPLATE.format(url=url, auth=auth)
    if source.kind == SourceKind.JENKINS:
        auth = (
            f"\n                customHeaders: [[name: 'Authorization', value: '{bearer}', maskValue: true]],"
            if source.secret
            else ""
        )
        return JENKINS_STEP.format(url=url, auth=auth)
    if source.kind == SourceKind.KUBERNETES:
        auth = " AIOPS_CHANGES_SECRET=<the secret>" if source.secret else ""
        return (
            f"AIOPS_CHANGES_URL='{url}'{auth} \\\n  apps/changes/contrib/kube-rollout-notify.sh "
            f"<namespace> <deployment> [environment]"
        )
    auth = f" -H 'Authorization: {bearer}'" if source.secret else ""
    return CURL.format(url=url, auth=auth)
