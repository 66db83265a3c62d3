from django.urls import path

from . import views

app_name = "logs"
urlpatterns = [
    path("", views.LogSearchView.as_view(), name="search"),
    path("sources/", views.SourceListView.as_view(), name="sources"),
    path("sources/new/", views.SourceFormView.as_view(), name="source-create"),
    path("sources/<int:pk>/edit/", views.SourceFormView.as_view(), name="source-edit"),
    path("queries/new/", views.QueryCreateView.as_view(), name="query-create"),
    path("queries/<int:pk>/edit/", views.QueryUpdateView.as_view(), name="query-edit"),
    path("sources/<int:pk>/test/", views.SourceTestView.as_view(), name="source-test"),
    path("alerts/<int:alert_id>/fetch/", views.FetchView.as_view(), name="fetch"),
    path("contexts/<int:pk>/download/", views.DownloadView.as_view(), name="download"),
]
