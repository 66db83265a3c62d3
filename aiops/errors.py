"""Error pages that keep the portal's layout and say what happened, without leaking detail."""
from django.shortcuts import render


def permission_denied(request, exception=None):
    return render(request, "errors/403.html", status=403)


def page_not_found(request, exception=None):
    if request.path.startswith("/api/"):
        # API clients get the API's error body for a path no route serves, not an HTML page.
        from django.http import JsonResponse

        return JsonResponse({"error": {"code": "not_found", "message": "No API endpoint at this path."}}, status=404)
    return render(request, "errors/404.html", status=404)


def server_error(request):
    # No context processors that touch the database: the database may be why we are here.
    from django.http import HttpResponseServerError
    from django.template import loader

    return HttpResponseServerError(loader.get_template("errors/500.html").render({}))
