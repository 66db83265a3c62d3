"""Thin tasks: the work behind a Slack request, after the endpoint has acknowledged it."""
from celery import shared_task

from . import slack
from .models import SlackWorkspace


@shared_task(name="chatops.slack_command", queue="default", ignore_result=True)
def slack_command(workspace_id: int, form: dict) -> None:
    workspace = SlackWorkspace.objects.filter(pk=workspace_id, enabled=True).select_related("organization").first()
    if workspace is not None:
        slack.respond(str(form.get("response_url", "")), slack.handle_command(workspace, form))


@shared_task(name="chatops.slack_action", queue="default", ignore_result=True)
def slack_action(workspace_id: int, payload: dict) -> None:
    workspace = SlackWorkspace.objects.filter(pk=workspace_id, enabled=True).select_related("organization").first()
    if workspace is None:
        return
    reply = slack.handle_action(workspace, payload)
    if reply is not None:
        slack.respond(str(payload.get("response_url", "")), reply)


@shared_task(name="chatops.slack_view_submission", queue="default", ignore_result=True)
def slack_view_submission(workspace_id: int, payload: dict) -> None:
    from . import modals

    workspace = SlackWorkspace.objects.filter(pk=workspace_id, enabled=True).select_related("organization").first()
    if workspace is not None:
        modals.handle_submission(workspace, payload)


@shared_task(name="chatops.open_incident_channels", queue="default", ignore_result=True)
def open_incident_channels(event: dict) -> int | None:
    """`incident.created` → the incident's Slack channels (once per event: receipts, aiops.events.consume)."""
    from aiops import events

    from . import channels

    return events.consume(open_incident_channels.name, event, lambda fresh: channels.on_incident_created(fresh[0]))
