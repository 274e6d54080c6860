"""Provisioning and deploy of pads over USB serial (烧录): build, identity, copy."""
