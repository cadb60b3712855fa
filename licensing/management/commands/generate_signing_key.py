import os
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management.base import BaseCommand, CommandError

from licensing import signing_keys


class Command(BaseCommand):
    help = (
        "Generate a new Ed25519 license signing key in LICENSE_SIGNING_KEY_DIR and print its kid. "
        "With --activate it signs every new certificate; the previous key stays published as retired."
    )
    requires_system_checks = []  # the checks would refuse to run before the first key exists

    def add_arguments(self, parser) -> None:
        parser.add_argument("--activate", action="store_true", help="Make the new key the one that signs.")
        parser.add_argument(
            "--dir",
            type=Path,
            help="Key directory (default: LICENSE_SIGNING_KEY_DIR); created 0700 if missing.",
        )
        parser.add_argument(
            "--output",
            type=Path,
            help="Write the key to this new file instead, for a secret store; nothing is activated.",
        )

    def handle(self, *args, activate: bool, dir: Path | None, output: Path | None, **options) -> None:
        if output is not None:
            if activate or dir is not None:
                raise CommandError(
                    "--output writes a lone key file; it cannot be combined with --activate or --dir."
                )
            self._write_file(output)
            return
        directory = dir or signing_keys.key_directory()
        if directory is None:
            raise CommandError("Set LICENSE_SIGNING_KEY_DIR or pass --dir.")
        try:
            previous = signing_keys.read_key_directory(directory).active_kid if directory.is_dir() else None
            kid = signing_keys.write_new_key(directory, activate=activate)
        except (OSError, signing_keys.SigningKeyError) as exc:
            raise CommandError(f"Cannot write the key into {directory}: {exc}") from exc
        self.stdout.write(kid)
        if activate:
            retired = f"; {previous} is now retired and stays published" if previous else ""
            self.stderr.write(f"Key {kid} signs new documents from now on{retired}.")
        else:
            self.stderr.write(
                f"Key {kid} is published; activate it by writing its kid into {directory}/ACTIVE."
            )

    def _write_file(self, output: Path) -> None:
        private_key = Ed25519PrivateKey.generate()
        content = signing_keys.key_file_text(private_key, created=datetime.now(UTC))
        try:
            fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise CommandError(f"Cannot create {output}: {exc.strerror}.") from exc
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        kid = signing_keys.kid_for(private_key.public_key())
        self.stdout.write(kid)
        self.stderr.write(f"Wrote key {kid} to {output} (mode 0600). Name it {kid}.pem in the key directory.")
