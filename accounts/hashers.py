from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    """Argon2id at the OWASP minimum: 19 MiB, 2 passes, 1 lane.

    Django's default (100 MiB, 8 lanes) costs about ten times the CPU per login; on a
    2-core server about 9 logins per second would then take the whole site down.
    See "Password hashing" in the README for the measured cost.
    """

    time_cost = 2
    memory_cost = 19456
    parallelism = 1
