"""Simulated service hall: many pads running the real firmware code over real MQTT."""
