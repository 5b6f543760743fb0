from django.apps import AppConfig


class DemoConfig(AppConfig):
    """No models: installed so that its management commands (``setup_demo``, ``seed_demo_*``) exist."""

    name = "demo"
    verbose_name = "Démonstration"
