"""The hub's errors: named for the failure, raised by the library, translated once at each edge.

``hub.api.errors`` maps them to HTTP responses and ``hub.cli`` to one ``error: …`` line; anything that is not a
``HubError`` is a bug and stays loud (a 500 with a logged traceback, or a traceback on the terminal).
"""

from __future__ import annotations


class HubError(Exception):
    """Base of every refusal the hub explains to its caller; the message is for a person."""


class NotFound(HubError):
    """Something named does not exist (or, to a manager, is not theirs: the same answer, so ids do not leak)."""


class UnknownLocation(NotFound):
    pass


class UnknownKiosk(NotFound):
    pass


class UnknownRegion(NotFound):
    pass


class UnknownUser(NotFound):
    pass


class UnknownQuestion(NotFound):
    """A report asked for a question the location never got an answer to."""


class AlreadyExists(HubError):
    pass


class Invalid(HubError):
    """A value the hub refuses: the message names the field and the rule."""


class InvalidTimezone(Invalid):
    pass


class InvalidSettings(Invalid):
    """Kiosk settings a kiosk would refuse (unknown key or a value out of range); the message names it."""


class BadInterval(Invalid):
    """A response interval outside 0..3600 s, or one the kiosks' settings refuse."""


class BadOpeningHours(Invalid):
    """Opening hours that do not read like ``mon-fri 8-21, sat 10-18``."""


class BadRange(Invalid):
    """A date range that is malformed, reversed or too long."""


class AccountError(Invalid):
    """A refused account change."""


class WeakPassword(AccountError):
    pass


class BadImportFile(Invalid):
    """A file to import that cannot be read as one of the known exports (the message names the file and why)."""


class BadMapping(Invalid):
    """An import mapping file that is malformed or names a store that does not exist."""


class InvalidToken(HubError):
    """No token, or one the hub does not know."""


class ConfigError(Invalid):
    """A command-line or file setting of the hub is invalid; the message names it."""


class ClientIdInUse(ConfigError):
    """Another live hub process on the same store connects to MQTT under this ``--client-id``: two would take
    each other's broker session over and over."""


class PkiError(HubError):
    """The kiosk CA or a certificate could not be made or read."""


class StoreUnavailable(HubError):
    """The store is busy (locked) or failing to write: nothing was committed; try again later, acknowledge nothing."""


class BrokerDidNotStart(HubError):
    """The managed mosquitto could not be started (the message names its log)."""


class InvalidRule(Invalid):
    """An alert rule with a nonsense kind, threshold, window or scope; the message names the field."""


class UnknownRule(NotFound):
    pass


class UnknownAlert(NotFound):
    pass


class BadUnsubscribeToken(Invalid):
    """An unsubscribe link that was altered or belongs to no user."""


class DeliveryError(HubError):
    """A message could not be sent now (it stays queued and is retried)."""


class CopyFailed(HubError):
    """``hub db copy`` refused (the destination is not empty or cannot take a copy) or its counts differ."""
