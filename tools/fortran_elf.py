"""Which library a loaded DSO's imports are bound to: dladdr/dlsym through
ctypes and a minimal ELF64 reader of relocation tables and GOT slots.

Part of the Fortran driver (tools/fortran.py, which loads this file by path);
``_got_bindings`` answers "which BLAS did the Fortran (or SciPy, or the port's
cython_blas) really call" without trusting ``dlsym``.
"""
from __future__ import annotations

import ctypes
import os
import struct


# ----------------------------------------------------------------------------
# dynamic-loader helpers
# ----------------------------------------------------------------------------


class _DlInfo(ctypes.Structure):
    _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p),
                ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]


_libdl = ctypes.CDLL(None)
_dladdr = _libdl.dladdr
_dladdr.argtypes = [ctypes.c_void_p, ctypes.POINTER(_DlInfo)]
_dladdr.restype = ctypes.c_int
_dlsym = _libdl.dlsym
_dlsym.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
_dlsym.restype = ctypes.c_void_p


def _dladdr_info(addr):
    info = _DlInfo()
    if not addr or not _dladdr(ctypes.c_void_p(addr), ctypes.byref(info)):
        return None
    return {
        "fname": os.path.realpath(info.dli_fname.decode()) if info.dli_fname else None,
        "fbase": info.dli_fbase,
        "sname": info.dli_sname.decode() if info.dli_sname else None,
        "saddr": info.dli_saddr,
    }


def _sym_addr(cdll, name):
    """dlsym(handle, name): lookup in that DSO's own dependency scope."""
    return _dlsym(ctypes.c_void_p(cdll._handle), name.encode())


# ----------------------------------------------------------------------------
# minimal ELF64 (x86-64, little-endian) reader
# ----------------------------------------------------------------------------

_DT_NULL, _DT_NEEDED, _DT_PLTRELSZ, _DT_STRTAB, _DT_SYMTAB = 0, 1, 2, 5, 6
_DT_RELA, _DT_RELASZ, _DT_SONAME, _DT_JMPREL = 7, 8, 14, 23
_R_X86_64_64, _R_X86_64_GLOB_DAT, _R_X86_64_JUMP_SLOT = 1, 6, 7


class _Elf:
    def __init__(self, data):
        self.data = data
        if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            raise ValueError("not a little-endian ELF64 file")
        (self.e_phoff,) = struct.unpack_from("<Q", data, 0x20)
        self.e_phentsize, self.e_phnum = struct.unpack_from("<HH", data, 0x36)
        self.loads = []
        self.dynamic = None
        for i in range(self.e_phnum):
            off = self.e_phoff + i * self.e_phentsize
            p_type, _fl, p_offset, p_vaddr, _pa, p_filesz, _ms, _al = \
                struct.unpack_from("<IIQQQQQQ", data, off)
            if p_type == 1:
                self.loads.append((p_vaddr, p_offset, p_filesz))
            elif p_type == 2:
                self.dynamic = (p_offset, p_filesz)
        if self.dynamic is None:
            raise ValueError("no PT_DYNAMIC")
        self.dyn = []                       # (tag, value, file offset of entry)
        off, size = self.dynamic
        for k in range(size // 16):
            tag, val = struct.unpack_from("<qQ", data, off + 16 * k)
            self.dyn.append((tag, val, off + 16 * k))
            if tag == _DT_NULL:
                break

    def v2o(self, vaddr):
        for v, o, sz in self.loads:
            if v <= vaddr < v + sz:
                return vaddr - v + o
        raise ValueError("vaddr %#x not in a PT_LOAD" % vaddr)

    def dval(self, tag):
        for t, v, _ in self.dyn:
            if t == tag:
                return v
        return None

    def cstr(self, off):
        end = self.data.index(b"\0", off)
        return bytes(self.data[off:end])

    def dyn_strings(self, tag):
        """[(string, file offset)] for all dynamic entries with this tag."""
        strtab = self.v2o(self.dval(_DT_STRTAB))
        return [(self.cstr(strtab + v), strtab + v)
                for t, v, _ in self.dyn if t == tag]

    def import_slots(self):
        """{symbol name: GOT slot vaddr} from .rela.dyn and .rela.plt."""
        strtab = self.v2o(self.dval(_DT_STRTAB))
        symtab = self.v2o(self.dval(_DT_SYMTAB))
        out = {}
        for t_addr, t_size in ((_DT_RELA, _DT_RELASZ), (_DT_JMPREL, _DT_PLTRELSZ)):
            a, s = self.dval(t_addr), self.dval(t_size)
            if not a or not s:
                continue
            base = self.v2o(a)
            for k in range(s // 24):
                r_offset, r_info, _add = struct.unpack_from("<QQq", self.data, base + 24 * k)
                rtype, sym = r_info & 0xFFFFFFFF, r_info >> 32
                if sym == 0 or rtype not in (_R_X86_64_GLOB_DAT, _R_X86_64_JUMP_SLOT,
                                             _R_X86_64_64):
                    continue
                (st_name,) = struct.unpack_from("<I", self.data, symtab + 24 * sym)
                out.setdefault(self.cstr(strtab + st_name).decode(), r_offset)
        return out


def _got_bindings(cdll, path, anchor, names):
    """Read the resolved GOT slots of ``names`` in the mapped DSO ``cdll``.

    ``anchor`` is a symbol defined by the DSO, used to find its load base.
    Returns {name: {"address": int, "library": path-or-None, "symbol": str}}.
    """
    with open(path, "rb") as fh:
        elf = _Elf(fh.read())
    slots = elf.import_slots()
    info = _dladdr_info(_sym_addr(cdll, anchor))
    if info is None:
        raise RuntimeError("dladdr failed for %s in %s" % (anchor, path))
    min_vaddr = min(v for v, _, _ in elf.loads) & ~0xFFF
    base = info["fbase"] - min_vaddr
    out = {}
    for name in names:
        if name not in slots:
            out[name] = {"address": None, "library": None, "symbol": None}
            continue
        addr = ctypes.c_void_p.from_address(base + slots[name]).value
        inf = _dladdr_info(addr)
        out[name] = {"address": addr,
                     "library": inf["fname"] if inf else None,
                     "symbol": inf["sname"] if inf else None}
    return out
