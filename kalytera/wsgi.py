import os
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kalytera.settings")

try:
    application = get_wsgi_application()
except ImproperlyConfigured as error:
    # Shown in the server's log instead of a long traceback; the server does not start.
    sys.exit(f"Configuration error: {error}")
