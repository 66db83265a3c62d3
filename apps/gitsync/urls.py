from django.urls import path

from . import views

app_name = "gitsync"
urlpatterns = [
    path("", views.RepositoryListView.as_view(), name="list"),
    path("<int:pk>/", views.RepositoryDetailView.as_view(), name="detail"),
    path("<int:pk>/sync/", views.RepositorySyncView.as_view(), name="sync"),
    path("<int:pk>/pin/", views.RepositoryPinView.as_view(), name="pin"),
    path("runs/<int:pk>/", views.SyncRunDetailView.as_view(), name="run"),
]
