"""Portal pages: switch the active organisation; manage your API tokens."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import services
from .forms import ApiTokenForm
from .models import ApiToken
from .selectors import SESSION_KEY, organizations_for_user


@require_POST
@login_required
def organization_switch(request):
    org = organizations_for_user(request.user).filter(pk=request.POST.get("organization")).first()
    if org is None:
        raise Http404(_("No such organisation."))
    request.session[SESSION_KEY] = org.pk
    messages.success(request, _("Now working in %(org)s.") % {"org": org.name})
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target)


@login_required
def token_list(request):
    if request.organization is None:
        raise Http404(_("You are not a member of any organisation."))
    issued = None
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        issued = services.api_token_create(user=request.user, organization=request.organization, **form.cleaned_data)
        form = ApiTokenForm()
    tokens = ApiToken.objects.visible_to(request.user, request.organization).filter(user=request.user)
    return render(request, "tenancy/tokens.html", {"tokens": tokens, "form": form, "issued": issued})


@require_POST
@login_required
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken.objects.visible_to(request.user, request.organization), pk=pk)
    services.api_token_revoke(token=token)
    messages.success(request, _("Token %(name)s revoked.") % {"name": token.name})
    return redirect("tenancy:tokens")
