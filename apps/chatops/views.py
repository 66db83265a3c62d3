"""Portal: link a chat account (from Slack's signed button), list and unlink your linked accounts."""
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.generic import View

from aiops.exceptions import ActionRefused
from aiops.views import OrgScopedViewMixin

from . import services
from .models import ChatIdentity


class AccountsView(OrgScopedViewMixin, View):
    """Your own linked chat accounts in the active organisation."""

    def get(self, request):
        identities = (ChatIdentity.objects.for_org(request.organization).filter(user=request.user)
                      .select_related("workspace"))
        return render(request, "chatops/accounts.html", {"identities": identities})


class UnlinkView(OrgScopedViewMixin, View):
    model = ChatIdentity

    def post(self, request, pk):
        identity = get_object_or_404(ChatIdentity.objects.for_org(request.organization), pk=pk, user=request.user)
        services.identity_unlink(identity=identity, user=request.user)
        messages.success(request, _("The chat account is unlinked."))
        return redirect("chatops:accounts")


class LinkView(LoginRequiredMixin, View):
    """The target of Slack's "Link your account" button: the signed-in user confirms, then it is linked."""

    def _read(self, token):
        try:
            return services.read_link_token(token), None
        except ActionRefused as exc:
            return None, str(exc)

    def get(self, request, token):
        found, error = self._read(token)
        context = {"error": error}
        if found:
            workspace, external_id, name = found
            context.update(workspace=workspace, external_id=external_id, name=name)
        return render(request, "chatops/link.html", context, status=400 if error else 200)

    def post(self, request, token):
        found, error = self._read(token)
        if error:
            return render(request, "chatops/link.html", {"error": error}, status=400)
        workspace, external_id, name = found
        try:
            services.identity_link(workspace=workspace, external_id=external_id, user=request.user, display_name=name)
        except ActionRefused as exc:
            return render(request, "chatops/link.html", {"error": str(exc)}, status=409)
        messages.success(request, _("Your Slack account %(name)s is linked.") % {"name": name or external_id})
        if getattr(request, "organization", None) is None or request.organization.pk != workspace.organization_id:
            return render(request, "chatops/link.html", {"linked": True, "workspace": workspace, "name": name})
        return redirect("chatops:accounts")


