"""URLs of the settlement app on a town's site."""

urlpatterns: list = []
