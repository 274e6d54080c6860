"""The pad core (评价器核心): hardware-free, runs on MicroPython and CPython.

    app       PadApp: the cooperative main loop (step/run)
    modes     serving / prompt / thanks / reason / paused / fault; one rating per prompt (R1, R6)
    levels    a five-key pad's levels and reason screen (issue 16; loaded only on such a pad)
    buttons   debounce, long press, stuck button, the fault-report key combination
    eventlog  the durable append-only log on flash
    sender    publish unacked events in seq order; drop them on ack ranges
    net       Wi-Fi + MQTT connection manager (umqtt.simple)
    clock     uptime across ticks wrap, wall clock via NTP or the host's time command
    commands  the host's commands, answered by cmd_result
    health    watchdog, boot event, boot-loop safe mode, self-checks -> fault/fault_clear
    settings  identity (/evalpad.json) and runtime config (/config.json)
"""

import sys


def forget(name: str) -> None:
    """Drop a module (or package) so the heap gets its bytecode back: the update and trial
    code, loaded only while they run (see firmware/README.md "Heap")."""
    for loaded in list(sys.modules):
        if loaded == name or loaded.startswith(name + "."):
            del sys.modules[loaded]
    parent, _, child = name.rpartition(".")
    if parent in sys.modules:
        try:
            delattr(sys.modules[parent], child)
        except AttributeError:
            pass
