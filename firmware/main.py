# /main.py, kept as source (MicroPython runs only this file): the loader is precompiled
# (/loader.mpy, firmware/loader.py), so the pad never compiles more than these two lines.
import loader

loader.main()
