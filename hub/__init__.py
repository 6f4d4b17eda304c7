"""The hub: ingests ratings over MQTT, stores and aggregates them, serves the API and dashboard."""
