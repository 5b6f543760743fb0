"""The merchant's order screen (included under /gestion/mes-commandes/)."""

from checkout.urls import merchant_patterns

urlpatterns, app_name = merchant_patterns
