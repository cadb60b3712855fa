"""Reference client for the Kalytera licensing platform, for VMS developers.

Standard library plus ``cryptography`` only, usable as a library and as
``python -m kalytera_client``. See ``docs/vms-client.md`` and ``docs/license-certificate.md``.
"""

__version__ = "1.0.0"
