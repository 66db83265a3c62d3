"""The dashboard page: a frame whose content comes from the "dashboard" panel slot."""
from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def dashboard(request):
    return render(request, "portal/dashboard.html", {"organization": getattr(request, "organization", None)})
