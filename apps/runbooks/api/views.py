"""API viewsets: thin — parse, authorise by role, call a service, render."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpResponse
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import BaseParser, FormParser, MultiPartParser
from rest_framework.response import Response

from aiops.api.parsers import StrictJSONParser
from aiops.api.permissions import CRUD_ADMIN, READ
from aiops.api.viewsets import OrgScopedModelViewSet, OrgScopedReadOnlyViewSet
from aiops.exceptions import ActionRefused
from aiops.roles import Role

from .. import services
from ..choices import VersionSource
from ..filtersets import (
    ExecutionEventFilterSet,
    RunbookExecutionFilterSet,
    RunbookFilterSet,
    RunbookVersionFilterSet,
    SshTargetFilterSet,
    StepResultFilterSet,
    TriggerWaitFilterSet,
)
from ..models import (
    ExecutionEvent,
    Runbook,
    RunbookExecution,
    RunbookVersion,
    SshTarget,
    StepResult,
    TriggerWait,
)
from ..schema import InvalidDefinition
from .serializers import (
    DecisionSerializer,
    ExecutionEventSerializer,
    RunbookExecutionSerializer,
    RunbookSerializer,
    RunbookVersionSerializer,
    RunRequestSerializer,
    SshTargetSerializer,
    StepResultSerializer,
    TriggerWaitSerializer,
    problems_as_fields,
)

YAML_TYPES = "application/yaml"


class YamlTextParser(BaseParser):
    """A raw YAML (or plain text) request body, handed over as a string."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read().decode("utf-8", errors="strict")


class RunbookViewSet(OrgScopedModelViewSet):
    """Runbooks (admins edit; operators run). Body: the YAML schema's document as JSON, plus `team`."""

    queryset = Runbook.objects.select_related("team")
    serializer_class = RunbookSerializer
    filterset_class = RunbookFilterSet
    ordering_fields = ["name", "updated_at", "category"]
    action_roles = {**CRUD_ADMIN, "yaml": Role.VIEWER, "import_yaml": Role.ADMIN, "run": Role.OPERATOR}

    def perform_create(self, serializer):
        serializer.instance = self._save_definition(serializer.validated_data)

    def perform_update(self, serializer):
        runbook = self._save_definition(serializer.validated_data, runbook=serializer.instance)
        if "team" in serializer.validated_data:
            runbook = services.runbook_set_team(runbook=runbook, team=serializer.validated_data["team"])
        serializer.instance = runbook

    def _save_definition(self, validated, runbook=None):
        try:
            result = services.runbook_save_definition(
                organization=self.organization,
                definition=validated["definition"],
                user=self.request.user,
                runbook=runbook,
                team=validated.get("team"),
                source=VersionSource.API,
            )
        except InvalidDefinition as exc:
            raise serializers.ValidationError(problems_as_fields(exc)) from exc
        return result.runbook

    @action(detail=True, methods=["get"])
    def yaml(self, request, pk=None):
        """The runbook in the canonical YAML schema."""
        runbook = self.get_object()
        return HttpResponse(
            services.runbook_export_yaml(runbook=runbook), content_type=f"{YAML_TYPES}; charset=utf-8"
        )

    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser, StrictJSONParser, YamlTextParser],
    )
    def import_yaml(self, request):
        """Import YAML: a raw body, `{"yaml": "..."}`, or uploaded `file` parts. All or nothing."""
        documents = self._documents(request)
        results = []
        with transaction.atomic():
            for name, text in documents:
                try:
                    result = services.runbook_import_yaml(
                        organization=request.organization,
                        text=text,
                        user=request.user,
                        source=VersionSource.YAML,
                        source_path=name if name != "body" else "",
                    )
                except InvalidDefinition as exc:
                    raise serializers.ValidationError({name: [str(p) for p in exc.problems]}) from exc
                results.append(
                    {
                        "file": name,
                        "id": result.runbook.pk,
                        "slug": result.runbook.slug,
                        "version": result.runbook.version,
                        "outcome": result.outcome,
                    }
                )
        created = any(r["outcome"] == "created" for r in results)
        return Response(
            {"results": results}, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    def _documents(self, request) -> list[tuple[str, str | bytes]]:
        files = request.FILES.getlist("file") if hasattr(request, "FILES") else []
        if files:
            return [(f.name, f.read()) for f in files]
        if isinstance(request.data, str):
            text = request.data
        elif hasattr(request.data, "get"):
            text = request.data.get("yaml")
        else:
            text = None
        if not text or not str(text).strip():
            raise serializers.ValidationError(
                {"yaml": ['send YAML as the body, as {"yaml": ...}, or as file uploads']}
            )
        return [("body", text)]

    @action(detail=True, methods=["post"])
    def run(self, request, pk=None):
        """Run (or with `dry_run` only render) the runbook: 201 with the execution, 409 with a reason."""
        runbook = self.get_object()
        body = RunRequestSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if data["dry_run"]:
            plan = services.execution_plan(
                runbook=runbook,
                alert=data.get("alert"),
                inputs=data["parameters"],
                target=data.get("target"),
            )
            target = plan["target"]
            return Response(
                {
                    "dry_run": True,
                    "values": plan["values"],
                    "steps": plan["steps"],
                    "target": {
                        "id": target.pk,
                        "name": target.name,
                        "host": target.host,
                        "port": target.port,
                        "user": target.username,
                    }
                    if target
                    else None,
                }
            )
        execution = services.execution_request_manual(
            runbook=runbook,
            user=request.user,
            alert=data.get("alert"),
            inputs=data["parameters"],
            target=data.get("target"),
            reason=data["reason"],
        )
        serialized = RunbookExecutionSerializer(execution, context={"request": request}).data
        return Response(serialized, status=status.HTTP_201_CREATED)


class RunbookVersionViewSet(OrgScopedReadOnlyViewSet):
    """Every saved state of every runbook (read-only); admins may restore one."""

    queryset = RunbookVersion.objects.select_related("created_by", "runbook", "git_commit")
    serializer_class = RunbookVersionSerializer
    filterset_class = RunbookVersionFilterSet
    action_roles = {**READ, "restore": Role.ADMIN}

    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        version = self.get_object()
        try:
            result = services.runbook_restore_version(version=version, user=request.user)
        except InvalidDefinition as exc:
            raise ActionRefused("; ".join(exc.messages), code="managed_elsewhere") from exc
        return Response(RunbookSerializer(result.runbook, context={"request": request}).data)


class SshTargetViewSet(OrgScopedModelViewSet):
    """SSH targets. Secrets (private_key, private_key_passphrase, password) are write-only: `<name>_set`."""

    queryset = SshTarget.objects.select_related("team")
    serializer_class = SshTargetSerializer
    filterset_class = SshTargetFilterSet
    action_roles = CRUD_ADMIN


class RunbookExecutionViewSet(OrgScopedReadOnlyViewSet):
    """Executions with their steps and audit trail (detail); operators approve, reject and cancel."""

    queryset = RunbookExecution.objects.select_related("requested_by", "decided_by")
    serializer_class = RunbookExecutionSerializer
    filterset_class = RunbookExecutionFilterSet
    ordering_fields = ["created_at", "status"]
    action_roles = {**READ, "approve": Role.OPERATOR, "reject": Role.OPERATOR, "cancel": Role.OPERATOR}

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "with_steps": self.action != "list"}

    def _decide(self, request, service):
        execution = self.get_object()
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        execution = service(execution=execution, user=request.user, note=body.validated_data["note"])
        execution.refresh_from_db()
        return Response(self.get_serializer(execution).data)

    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(request, services.execution_approve)

    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(request, services.execution_reject)

    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._decide(request, services.execution_cancel)


class StepResultViewSet(OrgScopedReadOnlyViewSet):
    queryset = StepResult.objects.all()
    serializer_class = StepResultSerializer
    filterset_class = StepResultFilterSet
    action_roles = READ


class ExecutionEventViewSet(OrgScopedReadOnlyViewSet):
    """The audit trail of every execution: who did what, when, and why."""

    queryset = ExecutionEvent.objects.select_related("actor")
    serializer_class = ExecutionEventSerializer
    filterset_class = ExecutionEventFilterSet
    action_roles = READ


class TriggerWaitViewSet(OrgScopedReadOnlyViewSet):
    """Alerts waiting for a trigger's minimum firing duration."""

    queryset = TriggerWait.objects.all()
    serializer_class = TriggerWaitSerializer
    filterset_class = TriggerWaitFilterSet
    action_roles = READ
