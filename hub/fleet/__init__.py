"""The fleet of devices: the broker (managed Mosquitto, its files and passwords), the kiosk CA, kiosk
registration and the remote settings pushed to kiosks."""
