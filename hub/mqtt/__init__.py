"""MQTT adapters: one paho client factory, the ingest (kiosks → store) and the settings publisher."""
