from django.urls import path

from . import views

app_name = "chatops"
urlpatterns = [
    path("", views.AccountsView.as_view(), name="accounts"),
    path("accounts/<int:pk>/unlink/", views.UnlinkView.as_view(), name="unlink"),
    path("link/<str:token>/", views.LinkView.as_view(), name="link"),
    path("slack/install/", views.SlackInstallView.as_view(), name="slack-install"),
    path("slack/oauth/callback/", views.SlackOAuthCallbackView.as_view(), name="slack-oauth-callback"),
]
