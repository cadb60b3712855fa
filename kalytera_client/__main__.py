import sys

from kalytera_client.cli import main

sys.exit(main())
