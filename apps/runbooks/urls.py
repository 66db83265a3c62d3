from django.urls import path

from . import views

app_name = "runbooks"
urlpatterns = [
    path("", views.RunbookListView.as_view(), name="list"),
    path("<int:pk>/", views.RunbookDetailView.as_view(), name="detail"),
    path("<int:pk>/run/", views.RunbookRunView.as_view(), name="run"),
    path(
        "<int:pk>/versions/<int:number>/restore/", views.RunbookVersionRestoreView.as_view(), name="restore"
    ),
    path("executions/", views.ExecutionListView.as_view(), name="executions"),
    path("executions/<int:pk>/", views.ExecutionDetailView.as_view(), name="execution-detail"),
    path("executions/<int:pk>/live/", views.ExecutionLiveView.as_view(), name="execution-live"),
    path("executions/<int:pk>/<slug:action>/", views.ExecutionActionView.as_view(), name="execution-action"),
]
