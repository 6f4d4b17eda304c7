"""The kiosk: a touchscreen smiley terminal with a durable SQLite outbox and an MQTT uplink."""
