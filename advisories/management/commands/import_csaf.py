from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from advisories import csaf_import
from kalytera.errors import DomainError
from licensing.models import Product


class Command(BaseCommand):
    help = "Import a CSAF 2.0 security advisory as a draft revision (or publish it with --publish)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path, help="The CSAF 2.0 JSON document.")
        parser.add_argument(
            "--publish", action="store_true", help="Publish it (and notify affected customers)."
        )
        parser.add_argument("--product", help="Product slug, when the document's product name matches none.")

    def handle(self, *args, file: Path, publish: bool, product: str | None, **options) -> None:
        try:
            content = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        chosen = None
        if product:
            chosen = Product.objects.filter(slug=product).first()
            if chosen is None:
                raise CommandError(f"No product has the slug {product!r}.")
        try:
            revision = csaf_import.import_document(content=content, by=None, product=chosen, publish=publish)
        except DomainError as error:
            raise CommandError(f"{error.code}: {error.message}") from None
        state = f"published as revision {revision.number}" if publish else "imported as a draft revision"
        self.stdout.write(f"{revision.advisory} {state}.")
