"""umqtt from micropython-lib (MIT), vendored: see simple.py."""
