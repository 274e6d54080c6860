"""Files on the pad's flash filesystem, rooted at one directory.

The ESP32 board roots it at "" (the littlefs root); tests and the simulator root it at a
directory of their own, so several simulated pads never share a file.
"""

import os


class Files:
    """Flash files under ``root``; names are relative ("log/s0000000001")."""

    def __init__(self, root: str = "") -> None:
        self.root = root.rstrip("/")

    def path(self, name: str) -> str:
        return self.root + "/" + name

    def open(self, name: str, mode: str = "rb"):  # -> a binary file object
        return open(self.path(name), mode)

    def exists(self, name: str) -> bool:
        try:
            os.stat(self.path(name))
            return True
        except OSError:
            return False

    def size(self, name: str) -> int:
        return os.stat(self.path(name))[6]

    def listdir(self, name: str = "") -> list:
        return os.listdir(self.path(name) if name else (self.root or "/"))

    def is_dir(self, name: str) -> bool:
        try:
            return os.stat(self.path(name))[0] & 0x4000 != 0   # S_IFDIR
        except OSError:
            return False

    def mkdir(self, name: str) -> None:
        if not self.exists(name):
            os.mkdir(self.path(name))

    def rmdir(self, name: str) -> None:
        os.rmdir(self.path(name))

    def remove(self, name: str) -> None:
        os.remove(self.path(name))

    def rename(self, old: str, new: str) -> None:
        try:
            os.rename(self.path(old), self.path(new))
        except OSError:
            # A filesystem that will not rename over a file (FAT): remove first. read_small()
            # falls back to the .tmp copy if the power fails in between.
            if not self.exists(new):
                raise
            os.remove(self.path(new))
            os.rename(self.path(old), self.path(new))

    def free_bytes(self) -> int:
        st = os.statvfs(self.root or "/")
        return st[0] * st[3]

    # -- small files written whole: a torn write never leaves a half file ------------------

    def write_small(self, name: str, data: bytes) -> None:
        """Write ``data`` to ``name`` atomically (write a .tmp copy, then rename over)."""
        tmp = name + ".tmp"
        f = self.open(tmp, "wb")
        try:
            f.write(data)
            f.flush()
        finally:
            f.close()
        self.rename(tmp, name)

    def read_small(self, name: str) -> "bytes | None":
        """The bytes of ``name`` (or of its .tmp copy left by an interrupted rename); None if absent."""
        for candidate in (name, name + ".tmp"):
            try:
                f = self.open(candidate, "rb")
            except OSError:
                continue
            try:
                return f.read()
            finally:
                f.close()
        return None
