"""Serial bridge (串口桥): relays a USB-wired pad's serial variant of the contract to MQTT.

A pad wired to the window PC speaks ``protocol.serialwire`` (one ``{"topic", "msg"}`` JSON
per line). The bridge logs in to the broker *as that pad* (client id and username = device
id, the pad's will) and relays every line unchanged, so the host cannot tell a wired pad from
a wireless one. It survives a pulled cable and a broker that goes away.
"""

from host.bridge.mqtt_link import MqttLink, MqttTarget, parse_mqtt_url
from host.bridge.relay import SerialBridge

__all__ = ["MqttLink", "MqttTarget", "SerialBridge", "parse_mqtt_url"]
