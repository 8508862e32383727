"""Read the files SDCC writes beside an .ihx into a `SymbolTable`.

`sdcc -mpdk13 main.c` leaves, next to ``main.ihx``:

* ``main.map`` (sdldpdk ``-m``): every area with its address and size, every global symbol
  with its value, area and module, and the list of linked modules. Values are byte
  addresses in code areas and RAM addresses in data areas (DATA, OSEG, SSEG, ...).
* ``main.rst`` per module (sdldpdk ``-u``, the listing relocated to final addresses): every
  label, global or not, every instruction with its address and its line of ``main.asm``,
  and SDCC's comments ``;	main.c: 17: <the C line>`` before the code of each C line. The
  code that follows such a comment, up to the next one, is that line's code.
* ``main.lst`` (the same listing before relocation) and ``main.sym`` (the module's
  symbols, area-relative): read when a module has no .rst, placed with the map's areas.
* ``main.noi`` (``-Wl-j``): ``DEF name 0xaddress`` for the same globals as the map.
* ``main.cdb`` (``--debug``): C functions, variables with their type and size, and the
  address records ``L:C$file$line$...:addr`` of every C line.

What each adds: the map names globals and tells code from data; the listings add local
labels (static functions), storage sizes (the ``.ds n`` after a label), assembly lines and
C lines without ``--debug``; the .cdb adds C types, signedness, locals and function ends.
Anything missing is simply not known; nothing here guesses a size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from . import files as _files
from .device import RAM_BYTES
from .errors import SymbolFileError, printable
from .image import SourceLine
from .symbols import Function, SymbolTable, Variable
from .toolchain.lexer import source_lines

__all__ = ["SymbolFileError", "area_space", "companion_files", "load_sdcc_symbols"]


# Areas SDCC's pdk ports put in RAM (the rest hold code or ROM data). RSEG holds the
# `__sfr __at(n)` declarations: IO addresses.
RAM_AREAS = ("DATA", "OSEG", "SSEG", "DABS", "PREG", "IDATA", "ISEG", "BSEG", "XDATA", "XSEG")
IO_AREAS = ("RSEG",)
ABS_AREA = ".  .ABS."
# Bounds on what one load reads (a map may name any number of modules; any file may be a
# device or enormous): each file, and all of them together.
MAX_FILE_BYTES = 16 * _files.MiB
MAX_LOAD_BYTES = 64 * _files.MiB

_MAP_AREA = re.compile(r"^(\S.*?)\s+([0-9A-F]{8})\s+([0-9A-F]{8})\s+=\s+\d+\. bytes \((.*)\)")
_MAP_SYMBOL = re.compile(r"^\s+([0-9A-F]{8})\s+(\S+)(?:\s+(\S+))?\s*$")
_MAP_MODULE = re.compile(r"^(\S+\.rel)\s+\[\s*(\S+)\s*\]")
_C_COMMENT = re.compile(r"^;\s*(?P<file>[^:;]+?):\s*(?P<line>\d+):\s?(?P<text>.*)$")
_LABEL = re.compile(r"^\s*([A-Za-z_.$][\w.$]*|\d+\$)\s*::?")
_AREA = re.compile(r"^\s*\.area\s+([A-Za-z_.$][\w.$]*)", re.IGNORECASE)
_DS = re.compile(r"^\s*(?:[A-Za-z_.$][\w.$]*\s*::?\s*)*\.(?:ds|blkb|rmb)\s+(\w+)", re.IGNORECASE)
_EQUATE = re.compile(r"^\s*([A-Za-z_.$][\w.$]*)\s*=[=:]?\s*(\S+)")
_CDB_TYPE = re.compile(r"\(\{(\d+)\}([^)]*)\)")


@dataclass
class _Area:
    name: str
    base: int
    size: int
    space: str  # "code", "ram", "io"


@dataclass
class _Build:
    """What the files of one link say, before it becomes a SymbolTable."""

    areas: dict[str, _Area] = field(default_factory=dict)
    globals: dict[str, tuple[int, str]] = field(default_factory=dict)  # name -> (value, area)
    modules: list[str] = field(default_factory=list)  # .rel paths in link order
    table: SymbolTable = field(default_factory=SymbolTable)
    sizes: dict[str, int] = field(default_factory=dict)
    c_lines: dict[int, SourceLine] = field(default_factory=dict)  # from .cdb records
    sources: dict[str, list[str] | None] = field(default_factory=dict)
    bytes_read: int = 0
    read: list[Path] = field(default_factory=list)  # every file read, in order


def area_space(name: str, written=None, base: int = 0, size: int = 0) -> str:
    """Whether an area holds code, RAM or IO addresses, from SDCC's area names; an area of
    another name is code when it holds written ROM words, else RAM when it fits in RAM."""
    upper = name.upper()
    if upper.startswith(IO_AREAS):
        return "io"
    if upper.startswith(RAM_AREAS):
        return "ram"
    if written is not None and size and base + size <= RAM_BYTES:
        start, end = base // 2, (base + size + 1) // 2
        if not written[start:end].any():
            return "ram"
    return "code"


def companion_files(ihx: Path) -> dict[str, Path]:
    """The symbol files SDCC may have written beside `ihx` (same stem), that exist."""
    found = {}
    for suffix in (".map", ".noi", ".cdb", ".rst", ".lst", ".sym"):
        path = ihx.with_suffix(suffix)
        if _files.kind(path) == "file":
            found[suffix] = path
    return found


def load_sdcc_symbols(ihx: str | Path, written=None, *, required: bool = False) -> SymbolTable:
    """The symbol table of the build that made `ihx`, from the files beside it.

    `ihx` may also name any of those files or their common stem. `written` (the image's
    written-word mask) helps classify areas with names SDCC does not use. With `required`,
    finding no symbol file at all is a `SymbolFileError`."""
    ihx = Path(ihx)
    if ihx.suffix.lower() in (".map", ".noi", ".cdb", ".rst", ".lst", ".sym", ".ihx", ".hex"):
        stem = ihx.with_suffix(".ihx")
    else:
        stem = ihx.with_name(ihx.name + ".ihx")
    files = companion_files(stem)
    if required and not files:
        raise SymbolFileError(f"{stem.with_suffix('')}: no .map, .noi, .cdb or .rst beside it")
    build = _Build()
    if ".map" in files:
        _read_map(build, files[".map"], written)
    elif ".noi" in files:
        _read_noi(build, files[".noi"])
    for listing in _listings(build, stem, files):
        _read_listing(build, listing, stem.parent)
    if ".cdb" in files:
        _read_cdb(build, files[".cdb"], stem.parent)
    _finish(build, written)
    build.table.files = [str(p) for p in build.read]
    return build.table


# -- .map / .noi ------------------------------------------------------------------------


def _read(path: Path, build: _Build) -> list[str]:
    """The lines of a symbol file: split at LF only (as sdaspdk13 and sdldpdk write and
    count them), bounded per file and per load."""
    shown = printable(str(path))
    data = _files.read_bytes(
        path, MAX_FILE_BYTES, lambda reason: SymbolFileError(f"{shown}: cannot read: {reason}")
    )
    build.bytes_read += len(data)
    if build.bytes_read > MAX_LOAD_BYTES:
        raise SymbolFileError(
            f"{shown}: the symbol files read exceed {MAX_LOAD_BYTES // _files.MiB} MiB"
        )
    build.read.append(path)
    return source_lines(data)


def c_source_lines(data: bytes) -> list[str]:
    """The lines of a C file as SDCC counts them: a line ends at LF, CRLF or a lone CR
    (measured with sdcc 4.2.0: FF, VT, NEL and U+2028 end no line)."""
    return re.split(r"\r\n|\r|\n", data.decode("utf-8", "surrogateescape"))


def _read_map(build: _Build, path: Path, written) -> None:
    area = None
    linked = False
    for line in _read(path, build):
        match = _MAP_AREA.match(line)
        if match:
            name, base, size = match[1].strip(), int(match[2], 16), int(match[3], 16)
            area = name
            if name != ABS_AREA and name not in build.areas:
                build.areas[name] = _Area(name, base, size, area_space(name, written, base, size))
            continue
        if line.startswith("Files Linked"):
            linked = True
            continue
        if line.startswith(("Libraries Linked", "User Base Address")):
            linked = False
        if linked:
            module = _MAP_MODULE.match(line)
            if module:
                build.modules.append(module[1])
            continue
        match = _MAP_SYMBOL.match(line)
        if match and area is not None and not line.lstrip().startswith("-"):
            build.globals.setdefault(match[2], (int(match[1], 16), area))


def _read_noi(build: _Build, path: Path) -> None:
    for line in _read(path, build):
        parts = line.split()
        if len(parts) == 3 and parts[0] == "DEF":
            try:
                build.globals.setdefault(parts[1], (int(parts[2], 16), ""))
            except ValueError:
                continue


# -- listings ---------------------------------------------------------------------------


def _listings(build: _Build, stem: Path, files: dict[str, Path]) -> list[tuple[Path, str]]:
    """(listing, kind) of every linked module: its .rst, or its .lst ("lst") when there is
    no .rst. Modules come from the map; without one, the build's own stem."""
    stems = [stem.parent / Path(m).with_suffix("") for m in build.modules] or [stem.with_suffix("")]
    found = []
    for module in stems:
        rst, lst = module.with_suffix(".rst"), module.with_suffix(".lst")
        if _files.kind(rst) == "file":
            found.append((rst, "rst"))
        elif _files.kind(lst) == "file":
            found.append((lst, "lst"))
    return found


def _split_listing_line(line: str, number_end: int) -> tuple[int | None, bytes, str] | None:
    """(address, bytes, source text) of one asxxxx listing line, or None for a line that
    is not one (page headers)."""
    head = line[:number_end]
    if len(line) < number_end or not head[-1:].isdigit():
        return None
    text = line[number_end + 1 :]
    field_ = head[6:12].strip()
    address = int(field_, 16) if field_ and re.fullmatch(r"[0-9A-F]+", field_) else None
    data = head[12:].rsplit(" ", 1)[0] if " " in head[12:] else ""
    pairs = re.findall(r"[0-9A-F]{2}", data.replace("r", " "))
    return address, bytes(int(p, 16) for p in pairs), text


def _number_end(lines: list[str]) -> int | None:
    """The column where a listing's line-number field ends (fixed for the whole file)."""
    for line in lines:
        match = re.match(r"^ +(\d+)( |$)", line)
        if match and match.start(1) > 20:
            return match.end(1)
    return None


def _module_bases(build: _Build, listing: Path) -> dict[str, int]:
    """Area bases for an unrelocated .lst: the map's area address plus the sizes the same
    area has in the modules linked before this one (from their .sym area tables)."""
    bases = {name: a.base for name, a in build.areas.items()}
    for module in build.modules:
        if Path(module).stem == listing.stem:
            break
        sym = listing.parent / Path(module).with_name(Path(module).stem + ".sym").name
        for name, size in _sym_area_sizes(sym, build).items():
            if name in bases:
                bases[name] += size
    return bases


def _sym_area_sizes(path: Path, build: _Build) -> dict[str, int]:
    sizes = {}
    if _files.kind(path) != "file":
        return sizes
    for line in _read(path, build):
        match = re.match(r"^\s+[0-9A-F]+\s+(\S+)\s+size\s+([0-9A-F]+)\s+flags", line)
        if match:
            sizes[match[1]] = int(match[2], 16)
    return sizes


def _read_listing(build: _Build, listing: tuple[Path, str], directory: Path) -> None:
    path, kind = listing
    lines = _read(path, build)
    number_end = _number_end(lines)
    if number_end is None:
        return
    bases = _module_bases(build, path) if kind == "lst" else {}
    asm_name = path.with_suffix(".asm").name
    table = build.table
    area = "_CODE"
    c_line: SourceLine | None = None
    pending_label: str | None = None
    for raw in lines:
        parts = _split_listing_line(raw, number_end)
        if parts is None:
            continue
        address, data, text = parts
        number = int(raw[:number_end].rsplit(" ", 1)[-1])
        code = text.split(";", 1)[0]
        comment = _C_COMMENT.match(text.strip())
        if comment:
            c_line = _c_source_line(build, comment, directory)
            continue
        match = _AREA.match(code)
        if match:
            area = match[1]
            pending_label = None
            c_line = None
            continue
        space = _space_of(build, area)
        if address is not None and kind == "lst" and area in bases:
            address += bases[area]
        label = _LABEL.match(code)
        if label and address is not None:
            name = label[1]
            if space == "code":
                if "$" not in name:  # not SDCC's debug records nor local labels (1$)
                    table.code.setdefault(name, address // 2)
            else:
                if not build.globals.get(name, (0, ""))[1]:  # a .noi value has no area
                    build.globals[name] = (address, area)
                pending_label = name
        size = _DS.match(code)
        if size and pending_label is not None and space != "code":
            try:
                build.sizes.setdefault(pending_label, int(size[1], 0))
            except ValueError:
                pass
            pending_label = None
        equate = _EQUATE.match(code)
        if equate and space == "io" and "$" not in equate[1]:
            try:
                value = int(equate[2], 0)
            except ValueError:
                value = None
            if value is not None:
                table.variables.setdefault(equate[1], Variable(equate[1], value, 1, space="io"))
        if data and address is not None and space == "code":
            source = SourceLine(asm_name, number, text)
            for word in range(address // 2, (address + len(data) + 1) // 2):
                table.asm_lines.setdefault(word, source)
                if c_line is not None:
                    table.lines.setdefault(word, c_line)


def _space_of(build: _Build, area: str) -> str:
    known = build.areas.get(area)
    return known.space if known is not None else area_space(area)


def _c_source_line(build: _Build, match: re.Match, directory: Path) -> SourceLine:
    """The C line a `;	file: N: text` comment names; the text from the C file when it
    is found beside the build, else the comment's copy of it."""
    filename, line = match["file"].strip(), int(match["line"])
    text = _c_text(build, filename, line, directory)
    return SourceLine(filename, line, match["text"] if text is None else text)


def _c_text(build: _Build, filename: str, line: int, directory: Path) -> str | None:
    if filename not in build.sources:
        path = Path(filename)
        candidates = [path] if path.is_absolute() else [directory / path, directory / path.name]
        build.sources[filename] = None
        for candidate in candidates:
            if _files.kind(candidate) == "file":
                try:
                    data = _files.read_bytes(candidate, MAX_FILE_BYTES, SymbolFileError)
                except SymbolFileError:
                    break  # the comment's copy of the line is used instead
                build.bytes_read += len(data)
                build.read.append(candidate)
                build.sources[filename] = c_source_lines(data)
                break
    text = build.sources[filename]
    if text is None or not 1 <= line <= len(text):
        return None
    return text[line - 1].strip()


# -- .cdb -------------------------------------------------------------------------------

_BASE_TYPES = {
    "SC": "char",
    "SI": "int",
    "SL": "long",
    "SLL": "long long",
    "SS": "short",
    "SV": "void",
    "SF": "float",
    "SB": "_Bool",
    "SX": "sbit",
    "ST": "struct",
}


def _cdb_type(chain: str) -> tuple[str, bool]:
    """A readable C type and its signedness from a .cdb type chain (``DG,SC:U``)."""
    base, _, sign = chain.rpartition(":")
    parts = base.split(",")
    last = parts[-1]
    name = _BASE_TYPES.get(last, _BASE_TYPES.get(last[:2], last))
    if last.startswith("ST"):
        name = f"struct {last[2:]}"
    signed = sign == "S"
    if name in ("char", "int", "long", "short", "long long") and not signed:
        name = f"unsigned {name}"
    for declarator in reversed(parts[:-1]):
        if declarator.startswith("DA"):
            name = f"{name}[{declarator[2:].rstrip('d')}]"
        elif declarator.startswith(("DG", "DC", "DX", "DD", "DI", "DP")):
            name = f"{name} *"
        elif declarator.startswith("DF"):
            name = f"{name} ()"
    return name, signed


def _cdb_name(symbol: str) -> tuple[str, str | None, str] | None:
    """(scope, function, C name) of a .cdb symbol name: ``G$counter$0_0$0`` (global),
    ``Fmain$mix$0_0$0`` (file static), ``Lmain.mix$a$1_0$3`` (local of mix)."""
    if symbol.startswith("G$"):
        return "G", None, symbol.split("$")[1]
    if symbol.startswith("F"):
        pieces = symbol.split("$")
        return ("F", None, pieces[1]) if len(pieces) > 1 else None
    if symbol.startswith("L"):
        pieces = symbol.split("$")
        if len(pieces) > 1 and "." in pieces[0]:
            return "L", pieces[0].split(".", 1)[1], pieces[1]
    return None


def _read_cdb(build: _Build, path: Path, directory: Path) -> None:
    lines = _read(path, build)
    types: dict[str, tuple[int, str, bool, str]] = {}  # record name -> (size, type, signed, space)
    interrupts: set[str] = set()
    addresses: dict[str, int] = {}
    for line in lines:
        kind, _, rest = line.partition(":")
        if kind in ("S", "F"):
            name, _, info = rest.partition("(")
            match = _CDB_TYPE.search("(" + info)
            if match is None:
                continue
            after = info[info.index(")") + 1 :].split(",")
            space = after[1] if len(after) > 1 else ""
            ctype, signed = _cdb_type(match[2])
            types[name] = (int(match[1]), ctype, signed, space)
            if kind == "F" and len(after) > 4 and after[4] == "1":  # space, stack x2, isr
                interrupts.add(name)
        elif kind == "L":
            name, _, value = rest.rpartition(":")
            try:
                addresses[name] = int(value, 16)
            except ValueError:
                continue
    table = build.table
    ends = {}
    for name, address in addresses.items():
        if name.startswith("C$"):
            pieces = name.split("$")
            if len(pieces) >= 3 and pieces[2].isdigit():
                word = address // 2
                line = int(pieces[2])
                old = build.c_lines.get(word)
                if old is None or line > old.line:  # several at one word: the later line
                    text = _c_text(build, pieces[1], line, directory) or ""
                    build.c_lines[word] = SourceLine(pieces[1], line, text)
        elif name.startswith("X") and name[1:2] in ("G", "F"):
            ends[name[1:]] = address // 2
    for name, (size, ctype, signed, space) in types.items():
        parsed = _cdb_name(name)
        if parsed is None:
            continue
        scope, function, c_name = parsed
        record = addresses.get(name)
        if ctype.endswith("()"):
            start_key = f"{name.split('$')[0]}${c_name}$0$0"
            start = addresses.get(start_key)
            if start is None:
                continue
            label = "_" + c_name
            table.functions[label] = Function(
                label,
                start // 2,
                ends.get(start_key),
                c_name,
                interrupt=name in interrupts,
                ctype=ctype.removesuffix(" ()"),
                signed=signed,
            )
            continue
        if record is None or space not in ("E", "F", "G", "I", "D", "A", "B", "H"):
            continue
        if scope == "L":
            if c_name.startswith("sloc"):
                continue
            key = f"{function}.{c_name}"
        else:
            key = "_" + c_name
        kind = "io" if space == "I" else "ram"
        table.variables[key] = Variable(key, record, size, kind, ctype, signed, function)


# -- assembling the table ---------------------------------------------------------------


def _finish(build: _Build, written) -> None:
    table = build.table
    for name, (value, area) in build.globals.items():
        if "$" in name or name.startswith((".", "s_", "l_")) or name in table.variables:
            continue
        if not area:  # from a .noi, which names no area: code if it is a written word
            code = written is not None and not value & 1 and value // 2 < len(written)
            space = "code" if code and written[value // 2] else "abs"
        else:
            space = _space_of(build, area) if area != ABS_AREA else "abs"
        if space == "code":
            table.code.setdefault(name, value // 2)
        elif space == "ram":
            if name not in table.variables:
                table.variables[name] = Variable(name, value, build.sizes.get(name))
        elif space == "io":
            table.variables.setdefault(name, Variable(name, value, 1, space="io"))
        elif name not in table.variables:
            table.constants.setdefault(name, value)
    if not table.lines and build.c_lines:
        _spread_c_lines(build, written)
    for name, f in list(table.functions.items()):
        if name in table.code and table.code[name] != f.start:
            continue
        table.code.setdefault(name, f.start)


def _spread_c_lines(build: _Build, written) -> None:
    """C lines from the .cdb alone (no listing): each record marks the first word of its
    line; the words after it, up to the next record or the end of the function, are that
    line's code (only words the image writes, when its mask is known)."""
    table = build.table
    starts = sorted(build.c_lines)
    ends = sorted(f.end for f in table.functions.values() if f.end is not None)
    for n, word in enumerate(starts):
        stop = starts[n + 1] if n + 1 < len(starts) else word + 1
        end = next((e for e in ends if e >= word), None)
        if end is not None:
            stop = min(stop, end + 1)
        for pc in range(word, max(stop, word + 1)):
            if written is None or written[pc]:
                table.lines[pc] = build.c_lines[word]
