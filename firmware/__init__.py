"""evalpad pad firmware (MicroPython): see firmware/README.md."""
