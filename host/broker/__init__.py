"""The MQTT broker side of evalpad: Mosquitto's config, accounts and ACL, and running it."""
