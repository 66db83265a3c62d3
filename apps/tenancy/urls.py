from django.urls import path

from . import views

app_name = "tenancy"
urlpatterns = [
    path("organization/switch/", views.organization_switch, name="switch"),
    path("tokens/", views.token_list, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
]
