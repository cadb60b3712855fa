from django.apps import AppConfig


class AdvisoriesConfig(AppConfig):
    name = "advisories"
    verbose_name = "Security advisories and incident notices"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from advisories.models import Advisory, AdvisoryRevision

        for model in (Advisory, AdvisoryRevision):
            post_save.connect(
                _changed, sender=model, weak=False, dispatch_uid=f"advisories-cache-{model.__name__}"
            )
            post_delete.connect(
                _changed, sender=model, weak=False, dispatch_uid=f"advisories-gone-{model.__name__}"
            )


def _changed(sender, instance, **kwargs) -> None:
    """An advisory or revision changed: drop the cached published advisories of its product."""
    from django.db import transaction

    from advisories.models import Advisory
    from advisories.selectors import forget_published

    if isinstance(instance, Advisory):
        product_ids = {instance.product_id}
    else:  # a revision: its advisory's product (gone with a deleted advisory, whose own signal drops it)
        product_ids = set(
            Advisory.objects.filter(pk=instance.advisory_id).values_list("product_id", flat=True)
        )
    forget_published(product_ids)  # at once, and again once committed: a reader meanwhile saw the old rows
    transaction.on_commit(lambda: forget_published(product_ids))
