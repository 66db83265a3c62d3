"""Portal: link a chat account (from Slack's signed button), list and unlink your linked accounts."""
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.generic import View

from aiops.exceptions import ActionRefused
from aiops.roles import Role
from aiops.views import OrgScopedViewMixin

from . import oauth, services
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


def _callback_uri(request) -> str:
    from django.conf import settings
    from django.urls import reverse

    path = reverse("chatops:slack-oauth-callback")
    base = (getattr(settings, "AIOPS_BASE_URL", "") or getattr(settings, "SITE_URL", "") or "").rstrip("/")
    return base + path if base else request.build_absolute_uri(path)


class SlackInstallView(OrgScopedViewMixin, View):
    """“Add to Slack”: off to Slack's consent screen with a signed, single-use state (admins only)."""

    required_role = Role.ADMIN

    def get(self, request):
        try:
            return redirect(oauth.authorize_url(request, redirect_uri=_callback_uri(request)))
        except ActionRefused as exc:
            return render(request, "chatops/install.html", {"error": str(exc)}, status=400)


class SlackOAuthCallbackView(LoginRequiredMixin, View):
    """Slack's redirect back: check the state, exchange the code, store the bot token."""

    def get(self, request):
        from apps.tenancy.models import Organization

        try:
            org_id = oauth.check_state(request, request.GET.get("state", ""))
            if request.GET.get("error"):
                raise oauth.InstallError(_("The install was cancelled in Slack (%(error)s).") % {
                    "error": request.GET["error"][:50]})
            code = request.GET.get("code", "")
            if not code or len(code) > 500:
                raise oauth.InstallError(_("Slack sent no install code."))
            organization = get_object_or_404(Organization, pk=org_id)
            found = oauth.exchange_code(code, redirect_uri=_callback_uri(request))
            workspace = oauth.workspace_install(organization=organization, user=request.user, **found)
        except ActionRefused as exc:
            return render(request, "chatops/install.html", {"error": str(exc)}, status=400)
        return render(request, "chatops/install.html", {"workspace": workspace})

