app_name = "topology"
urlpatterns: list = []
