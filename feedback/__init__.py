"""The feedback domain: ratings, scores, misuse rules and the wire protocol.

Stdlib only and free of I/O, so the kiosk, the hub and a third-party device's test suite can share it.
"""

__version__ = "0.1.0"
