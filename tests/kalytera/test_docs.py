"""The README stays true to the code: every setting from the environment is documented."""

import re

from django.conf import settings

README = (settings.BASE_DIR / "README.md").read_text()
SETTINGS = (settings.BASE_DIR / "kalytera" / "settings.py").read_text()


def test_every_environment_variable_of_the_settings_is_in_the_configuration_table():
    variables = set(re.findall(r'env\.\w+\(\s*"([A-Z_]+)"', SETTINGS))
    assert {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "TRUSTED_PROXY_COUNT"} <= variables
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", README, re.M))
    assert variables - documented == set()


def test_every_periodic_job_is_in_the_schedule_table():
    for command, _interval in settings.PERIODIC_JOBS:
        assert f"| `{command}` |" in README


def test_the_documented_argon2_parameters_are_the_ones_in_use():
    from accounts.hashers import Argon2idHasher
    from kalytera import settings as platform

    assert platform.PASSWORD_HASHERS[0] == "accounts.hashers.Argon2idHasher"
    assert (Argon2idHasher.memory_cost, Argon2idHasher.time_cost, Argon2idHasher.parallelism) == (19456, 2, 1)
    assert "`memory_cost=19456`" in README and "`time_cost=2`" in README and "`parallelism=1`" in README
