"""Run Slack Socket Mode for every enabled workspace that has an app-level token (its own process)."""
import signal
import threading

from django.core.management.base import BaseCommand

from apps.chatops.socket_mode import build_handler, socket_workspaces


class Command(BaseCommand):
    help = "Connect to Slack over Socket Mode (outbound WebSocket) and serve /aiops commands and buttons."

    def handle(self, *args, **options):
        workspaces = socket_workspaces()
        if not workspaces:
            self.stderr.write("No enabled Slack workspace has an app-level token (nor CHATOPS_SLACK_APP_TOKEN); "
                              "nothing to connect.")
            return
        handlers = []
        for workspace in workspaces:
            handler = build_handler(workspace)
            handler.connect()
            handlers.append(handler)
            self.stdout.write(f"Socket Mode connected for {workspace} ({workspace.team_id})")
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_a: stop.set())
        stop.wait()
        for handler in handlers:
            handler.close()
