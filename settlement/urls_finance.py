"""Town finance pages (placeholder until the views land)."""

urlpatterns: list = []
