"""Reading an untrusted ``.npz`` file (a checkpoint a user hands us) member
by member, with every size checked before data are read.

An ``.npz`` file is a zip archive of ``.npy`` members.  ``np.load`` trusts
both layers: it decompresses a member of any size and allocates the shape
an ``.npy`` header declares.  ``NpzReader`` instead

* opens only a regular file (not a FIFO or a device, which could block or
  never end), and checks the zip directory before reading any member:
  names ``<key>.npy`` without duplicates, no encryption, stored or deflated
  data, a stored member no longer than the file, and in all at most
  ``max(MIN_BUDGET, RATIO * file size)`` bytes once decompressed (a small
  zip bomb is refused, not expanded);
* reads a member only when asked, by key, with the most elements the
  caller expects of it: the ``.npy`` header is parsed first (formats 1.0
  and 2.0, plain numeric or text dtypes, no pickled objects) and its shape
  checked against that bound and against the member's size in the zip
  directory before the data are read.

Every problem is a ``ValueError`` naming the member and what is wrong.
"""

import math
import os
import stat
import zipfile
import zlib

import numpy as np
from numpy.lib import format as npy_format

#: a file's members may decompress to at most this many bytes in all, or
#: RATIO times the file's size when that is more (files written by
#: ``save()`` are stored uncompressed, so they are never near it)
MIN_BUDGET = 64 * 2**20
RATIO = 32
_KINDS = "biufU"        # bool, integers, floats, text: no objects, no records


class NpzReader:
    """The members of an ``.npz`` file (a path or a binary file object),
    read one by one with their sizes checked first.

    ``keys`` is the set of member names (without ``.npy``);
    ``read(key, max_count)`` returns one member as an array.  Use as a
    context manager (closes what it opened)."""

    def __init__(self, path, what="checkpoint"):
        self.what = what
        self._own = None
        try:
            if hasattr(path, "read"):
                fh = path
                start = fh.tell()           # (read from where the caller is)
                size = fh.seek(0, os.SEEK_END) - start
                fh.seek(start)
            else:
                fh = self._own = _open_regular(path, what)
                size = os.fstat(fh.fileno()).st_size
            self._zip = zipfile.ZipFile(fh)
            self._infos = self._check_directory(self._zip.infolist(), size)
        except BaseException as exc:
            self.close()
            if isinstance(exc, (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError,
                                zlib.error, NotImplementedError, RuntimeError)) or (
                    isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError)):
                raise ValueError(f"not an lbfgsb {what} file: {exc}") from None
            raise
        self.keys = set(self._infos)

    def _check_directory(self, infos, size):
        budget = max(MIN_BUDGET, RATIO * size)
        total = 0
        out = {}
        for info in infos:
            name = info.filename
            key = name[:-4]
            if not name.endswith(".npy") or not key:
                raise ValueError(f"{self.what}: member {name!r} is not an array (.npy)")
            if key in out:
                raise ValueError(f"{self.what}: member {name!r} appears twice")
            if info.flag_bits & 0x1:
                raise ValueError(f"{self.what}: member {name!r} is encrypted")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise ValueError(f"{self.what}: member {name!r} uses an unsupported "
                                 f"compression (method {info.compress_type})")
            if info.compress_size > size or (
                    info.compress_type == zipfile.ZIP_STORED
                    and info.file_size != info.compress_size):
                raise ValueError(f"{self.what}: member {name!r} declares "
                                 f"{info.file_size} bytes, more than the file holds")
            total += info.file_size
            if total > budget:
                raise ValueError(
                    f"{self.what}: member {name!r} would decompress to "
                    f"{info.file_size} bytes ({total} in all), more than "
                    f"{budget} for a file of {size} bytes: refused (a zip bomb?)")
            out[key] = info
        return out

    def read(self, key, max_count):
        """Member ``key`` as an array, refused (``ValueError``) unless its
        header declares at most ``max_count`` elements of a plain dtype and
        its data fill the member exactly."""
        info = self._infos[key]
        name = info.filename
        try:
            with self._zip.open(info) as f:
                version = npy_format.read_magic(f)
                if version == (1, 0):
                    shape, fortran, dtype = npy_format.read_array_header_1_0(f)
                elif version == (2, 0):
                    shape, fortran, dtype = npy_format.read_array_header_2_0(f)
                else:
                    raise ValueError(f".npy format version {version} is not read")
                if dtype.kind not in _KINDS or dtype.fields is not None or dtype.subdtype:
                    raise ValueError(f"dtype {dtype} is not a plain number or text dtype")
                count = math.prod(shape)
                if count > max_count:
                    raise ValueError(f"declares shape {shape} ({count} elements), "
                                     f"more than the {max_count} expected")
                nbytes = count * dtype.itemsize
                if f.tell() + nbytes != info.file_size:
                    raise ValueError(f"declares {nbytes} bytes of data for shape "
                                     f"{shape}, the member holds "
                                     f"{info.file_size - f.tell()}")
                a = np.empty(count, dtype)
                view = memoryview(a).cast("B")
                got = 0
                while got < nbytes:
                    k = f.readinto(view[got:])
                    if not k:
                        raise ValueError(f"truncated: {got} of {nbytes} bytes of data")
                    got += k
                if f.read(1):       # (and the end checks the CRC)
                    raise ValueError("data beyond the declared shape")
        except ValueError as exc:
            raise ValueError(f"{self.what}: member {name!r}: {exc}") from None
        except (zipfile.BadZipFile, EOFError, zlib.error, OSError, RuntimeError,
                NotImplementedError, SyntaxError, TypeError) as exc:
            raise ValueError(f"{self.what}: member {name!r} cannot be read: "
                             f"{type(exc).__name__}: {exc}") from None
        return a.reshape(shape, order="F" if fortran else "C")

    def close(self):
        z = getattr(self, "_zip", None)
        if z is not None:
            z.close()
        if self._own is not None:
            self._own.close()
            self._own = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _open_regular(path, what):
    """``path`` opened for reading, refused unless it is a regular file
    (opened without blocking, so a FIFO planted there cannot hang us)."""
    fd = os.open(os.fspath(path), os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                 | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError(f"not an lbfgsb {what} file: {os.fspath(path)!r} is "
                             "not a regular file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
