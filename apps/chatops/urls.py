from django.urls import path

from . import views

app_name = "chatops"
urlpatterns = [
    path("", views.AccountsView.as_view(), name="accounts"),
    path("accounts/<int:pk>/unlink/", views.UnlinkView.as_view(), name="unlink"),
    path("link/<str:token>/", views.LinkView.as_view(), name="link"),
]
