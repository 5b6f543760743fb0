"""Events of the tenants app, and the host-lookup cache invalidation they need.

``town_provisioned(town, admin_email)`` is sent inside the provisioning transaction with the new
town's schema active, so apps above ``tenants`` can seed their per-town rows (legal pages, category
tree...) and ``accounts`` can invite the first admin (``admin_email``, lower-cased, or None); a
failure there rolls the whole town back.
"""

from __future__ import annotations

from typing import Any

import django.dispatch
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from tenants.hosts import forget_cached_hosts
from tenants.models import Domain, Town

town_provisioned = django.dispatch.Signal()


def _forget_hosts(sender: type, instance: Town | Domain, **kwargs: Any) -> None:
    # Now, and again once the change is committed: a request between the two would otherwise
    # read the old committed row and cache it (a suspended town kept online for the cache's life).
    forget_cached_hosts()
    transaction.on_commit(forget_cached_hosts)


for _model in (Town, Domain):
    post_save.connect(_forget_hosts, sender=_model, dispatch_uid=f"forget-hosts-save-{_model.__name__}")
    post_delete.connect(_forget_hosts, sender=_model, dispatch_uid=f"forget-hosts-delete-{_model.__name__}")
