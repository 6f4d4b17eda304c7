import os
import sys

os.environ.setdefault("KIVY_NO_ARGS", "1")  # Kivy parses argv at import otherwise

from kiosk.cli import main

sys.exit(main())
