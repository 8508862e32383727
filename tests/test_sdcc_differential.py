"""Our assembler against SDCC's sdaspdk13 + sdldpdk: the same source must give the same words.

Each case writes the source to a temporary directory, assembles and links it with
``sdaspdk13 -plosgff x.asm`` and ``sdldpdk -n -i x.ihx x.rel`` (sdldpdk warns about numeric
goto/call targets but writes the image), reads the HEX and compares every word, and which
words are written, with `pms150c.assemble`.
"""

import random
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from pms150c import Image, assemble, isa

pytestmark = [
    pytest.mark.sdcc,
    pytest.mark.skipif(
        shutil.which("sdaspdk13") is None or shutil.which("sdldpdk") is None,
        reason="SDCC's sdaspdk13/sdldpdk are not installed (Debian package sdcc)",
    ),
]


def sdcc_image(tmp_path, source: str) -> Image:
    (tmp_path / "x.asm").write_text(source)
    run = subprocess.run(
        ["sdaspdk13", "-plosgff", "x.asm"], cwd=tmp_path, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr
    subprocess.run(
        ["sdldpdk", "-n", "-i", "x.ihx", "x.rel"], cwd=tmp_path, capture_output=True, text=True
    )
    return Image.from_ihx((tmp_path / "x.ihx").read_text())


def assert_same_words(theirs: Image, ours: Image, lines=None):
    assert np.array_equal(theirs.written, ours.written)
    differ = np.flatnonzero(theirs.words != ours.words)
    report = [
        f"word 0x{w:03x}: sdaspdk13 0x{theirs.words[w]:04x}, ours 0x{ours.words[w]:04x}"
        + (f" ({lines[w]})" if lines else "")
        for w in differ[:20]
    ]
    assert not report, "\n".join(report)


# -- every instruction form with a spread of operands ------------------------------------

EDGES = {
    "M": [0x00, 0x01, 0x3E, 0x3F],
    "M4": [0x00, 0x0F],
    "MW": [0x00, 0x1E],
    "IO": [0x00, 0x1F],
    "k": [0x00, 0x7F, 0x80, 0xFF],
    "n": [0, 7],
    "K": [0x000, 0x3FF],
}


def spell(value: int, rng: random.Random, code_address: bool = False) -> str:
    """A number in one of the notations sdaspdk13 reads (all parse to `value`).

    A goto/call target gets no product: sdaspdk13 doubles each literal of a target, so only
    sums keep their value there (see the code_address_arithmetic program)."""
    style = rng.randrange(7)
    if style == 0:
        return str(value)
    if style == 1:
        return f"0b{value:b}"
    if style == 2:
        return f"0o{value:o}"
    if style == 3:
        return f"0h{value:x}"
    if style == 4 and value >= 3:
        return f"({value - 3} + 3)"
    if style == 5 and value % 2 == 0 and value and not code_address:
        return f"{value // 2}*2"
    return f"0x{value:x}"


def form_cases(seed: int = 1, per_form: int = 20) -> list[tuple[str, int]]:
    """(source line, expected word from our table) for every PMS150C form and alias."""
    rng = random.Random(seed)
    cases = []
    for instr in isa.INSTRUCTIONS:
        if not instr.pms150c:
            continue
        for syntax in (instr.syntax, *instr.aliases):
            mnemonic, ops = syntax.split(" ", 1)[0], isa.operands_of(syntax)
            kinds = [isa.KINDS[o] for o in ops if not isa.KINDS[o].literal]
            rounds = per_form if kinds else 1
            for r in range(rounds):
                values = []
                for kind in kinds:
                    edges = EDGES[kind.name]
                    v = edges[r] if r < len(edges) else rng.randint(0, kind.max_value)
                    values.append(v & ~1 if kind.even else v)
                it = iter(values)
                text = []
                for o in ops:
                    kind = isa.KINDS[o]
                    if kind.literal:
                        text.append(o)
                    else:
                        text.append(kind.prefix + spell(next(it), rng, kind.name == "K"))
                line = f"{mnemonic} {', '.join(text)}" if ops else mnemonic
                cases.append((line, instr.encode(*values)))
    return cases


def test_form_cases_cover_more_than_a_thousand_encodings():
    cases = form_cases()
    assert len(cases) >= 1000
    assert {isa.lookup(w).op for _, w in cases} == {i.op for i in isa.INSTRUCTIONS if i.pms150c}


@pytest.mark.parametrize("chunk", range(2))
def test_every_form_matches_sdaspdk13(tmp_path, chunk):
    cases = form_cases()
    half = (len(cases) + 1) // 2
    part = cases[chunk * half : (chunk + 1) * half]
    lines = [text for text, _ in part]
    source = "\t.area CODE\n" + "".join(f"\t{t}\n" for t in lines)
    ours = assemble(source)
    assert_same_words(sdcc_image(tmp_path, source), ours, lines)
    # and the table agrees with both
    assert [int(w) for w in ours.words[: len(part)]] == [w for _, w in part]


# -- real programs -----------------------------------------------------------------------

PROGRAMS = {
    "delay_loop": """
        .module delay
        .area CODE
N = 200
start:  mov     a, #N           ; 3N + 1 cycles
        mov     0x20, a
loop:   dzsn    0x20
        goto    loop
        goto    start
""",
    "counter16_addc": """
        .area CODE
        clear   0x10
        clear   0x11
again:  inc     0x10
        addc    0x11
        mov     a, 0x12
        add     0x10, a
        mov     a, 0x13
        addc    0x11, a
        goto    again
""",
    "pcadd_jump_table": """
        .area   CODE (ABS)
        .org    0x42            ; word 0x21
        mov     a, 0x21
        add     a, #1
        pcadd   a
        goto    case0
        goto    case1
        goto    case2
case0:  ret     #'0'
case1:  ret     #'1'
case2:  ret     #'2'
""",
    "ret_k_lookup_table": """
        .area   CODE
table_lookup:                   ; A = index 0..7 -> A = square
        add     a, #1
        pcadd   a
squares:
        ret     #0
        ret     #1
        ret     #4
        ret     #9
        ret     #16
        ret     #25
        ret     #36
        ret     #49
main:   mov     a, #5
        call    table_lookup
        mov     0x30, a
        call    squares - 1
        goto    main
""",
    "interrupt_handler": """
        .module isr
        .area   HEADER (ABS)
        .org    0x0000
        goto    main
        .org    0x0020          ; word 0x010
        push    af
        t1sn.io 0x05, #2
        goto    1$
        set0.io 0x05, #2
        inc     0x30
1$:     pop     af
        reti
        .org    0x0040
main:   mov     a, #0x20
        mov.io  sp, a
        set1.io 0x04, #2        ; INTEN.T16
        engint
2$:     goto    2$
""",
    "expressions_and_selectors": """
        .area CODE
        .ds     0x300
lab:    nop
        mov     a, #<lab
        mov     a, #>lab
        mov     a, #<(lab + 0x8000)
        mov     a, #>(lab + 0x8000)
        mov     a, #<0x1234
        mov     a, #>0x1234
        goto    lab + 2
        goto    .
        t0sn.io f, c
        set1.io f, z
        mov.io  a, f
        t0sn.io f, ac
        t1sn.io f, ov
        mov     a, #'a'
        mov     a, #0d12
        mov     a, #-4*-3
        mov     a, #17%5
        mov     a, #-7/2
        mov     a, #1+2<<3
        mov     a, #0x0f0f&0xf0|1
        mov     a, #1^3|4
        mov     a, #~0x0f
        mov     a, #-1
X = 5
Y == X*3
        .equ    Z, Y+1
        mov     a, #Z
        mov     a, X
        mov     a, #(lab2 - lab) / 2
1$:     nop
        goto    1$
00002$: nop
        goto    2$
lab2:
1$:     goto    1$
        .area   HOME
        goto    lab2
        .dw     0x1fff, 0x0123
        .db     0x34, 0x12
        .area   CABS (ABS)
        .org    0x700
        goto    0x10
        call    0x3fe
""",
    "code_address_arithmetic": """
        .area CODE
X = 4*2
Y = 3
        goto    3*2             ; sdaspdk13 doubles each literal of a target: word 12
        goto    12/2
        goto    1<<3
        goto    (3+3)
        goto    5-1
        goto    X               ; a constant symbol is a byte value: word 4
        goto    Y*2
        goto    2*Y
        goto    0x10|1
        goto    0x11&0x13
        goto    -(-5)
        goto    ~(~5)
        mov     a, #<(2*3)
        mov     a, #<X
        mov     a, #<(3+4)
        mov     a, #>(0x100*1)
        goto    16/4
        goto    13/2
        goto    7%4
        goto    8>>1
        mov     a, #<5*2
        mov     a, #<Y*2
""",
    "macros_conditionals_and_the_location_counter": """
	.area CODE
	.macro	delay n, reg, ?loop
	mov	a, #n
	mov	reg, a
loop:	dzsn	reg
	goto	loop
	.endm
	.macro	count a1, a2, a3
	.narg	nn
	mov	a, #nn
	.if	nn - 2
	mov	a, #0x55	; not two
	.mexit
	.endif
	mov	a, #0x22
	.endm
	.macro	join x
xj = x'x
	mov	a, #xj
	.db	x'x, 1
	.even
	.endm
	.macro	twice op, arg
	op	arg
	op	arg
	.endm
start:	delay	10, 0x20
	delay	20, 0x21
	count
	count	1
	count	1, 2
	count	^/1, 2/, 3
aa = 3
	join	a
	twice	inc, 0x10
	twice	nop
	goto	#start
	goto	#3
	call	#(start + 2)
	. = . + 4
	nop
x = 1
	mov	a, #x
x = x + 1
	mov	a, #x
	mov	a, #y
y = 7
y = 9
here = .
	goto	here
	.rept	3
	inc	0x11
	.endm
	.irp	r, 0x12, 0x13
	clear	r
	.endm
	.ifne	x - 2
	nop
	.else
	stopsys
	.endif
	.irpc	ch, 12
	mov	a, #ch
	.endm
	.macro	lenof t
	.nchr	len, ^/t/
	mov	a, #len
	.endm
	lenof	^/hello/
	.mdelete lenof
lenof:	nop
	.if	0
	garbage here @@@
	.if 1
	more garbage
	.endif
	.else
	engint
	.endif
""",
}


@pytest.mark.parametrize("name", PROGRAMS)
def test_real_program_matches_sdaspdk13(tmp_path, name):
    source = PROGRAMS[name]
    assert_same_words(sdcc_image(tmp_path, source), assemble(source))


# -- strict=False: operands cut to sdaspdk13's bits -------------------------------------


def cut_operand_lines() -> list[str]:
    """Every PMS150C form with each operand in turn beyond its field (too wide, negative,
    odd where it must be even), the others 0."""
    lines = []
    for instr in isa.INSTRUCTIONS:
        if not instr.pms150c:
            continue
        fields = instr.fields
        for n, kind in enumerate(fields):
            edge = kind.max_value
            values = {edge + 1, 1 << kind.width, 0x55 << kind.width | 3, 0xFFF, -1, -5, edge + 3}
            if kind.name == "K":
                values = {v & 0x7FF for v in values}  # sdldpdk reports targets past 11 bits
            for value in sorted(values):
                if kind.prefix == "#" and kind.width == 8 and -0x80 <= value < 0:
                    continue  # a negative byte fits (it wraps)
                if kind.check(value) is None:
                    continue
                it = iter([value if i == n else 0 for i in range(len(fields))])
                ops = [
                    o if isa.KINDS[o].literal else isa.KINDS[o].prefix + str(next(it))
                    for o in instr.operands
                ]
                lines.append(f"{instr.mnemonic} {', '.join(ops)}")
    return lines


def test_strict_false_cuts_every_operand_to_sdaspdk13s_word(tmp_path):
    from pms150c import AssemblerWarning

    lines = cut_operand_lines()
    assert len(lines) > 300
    source = "\t.area CODE (ABS)\n\t.org 0\n" + "".join(f"\t{t}\n" for t in lines)
    with pytest.warns(AssemblerWarning) as caught:
        ours = assemble(source, "cut.asm", strict=False)
    assert len(caught) == len(lines)  # one warning per cut operand, none for the rest
    assert_same_words(sdcc_image(tmp_path, source), ours, lines)


def test_interrupt_handler_words_match_the_reference_listing():
    image = assemble(PROGRAMS["interrupt_handler"])
    # pdk13-reference.md section 6.5: ISR words 0x010..0x016
    expected = [0x0032, 0x0D45, 0x1815, 0x0E45, 0x0930, 0x0033, 0x003B]
    assert [int(w) for w in image.words[0x10:0x17]] == expected


C_PROGRAM = r"""
unsigned char counter;
unsigned int total;
unsigned char _sdcc_external_startup(void) { return 0; }
void isr(void) __interrupt(0) { counter++; total += 3; }
static unsigned char mix(unsigned char a, unsigned char b) { return (a ^ b) + 1; }
void main(void)
{
    unsigned char i;
    __asm__("engint");
    for (;;) {
        for (i = 0; i < 200; i++)
            counter = mix(counter, i);
        if (total > 1000)
            total = 0;
    }
}
"""


@pytest.mark.skipif(shutil.which("sdcc") is None, reason="sdcc is not installed")
def test_sdcc_compiled_c_program_matches_the_full_sdcc_build(tmp_path):
    (tmp_path / "prog.c").write_text(C_PROGRAM)
    run = subprocess.run(
        ["sdcc", "-mpdk13", "prog.c"], cwd=tmp_path, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr
    theirs = Image.from_ihx((tmp_path / "prog.ihx").read_text())
    ours = assemble((tmp_path / "prog.asm").read_text(), "prog.asm")
    assert ours.used_words > 40
    assert_same_words(theirs, ours)
    assert ours.symbols["_main"] == 2 * ours.labels["_main"]


def sdcc_library_source(name: str):
    """A routine of SDCC's pdk13 library as the installed sdcc ships its source (the
    `datadir` of `sdcc --print-search-dirs`), or None."""
    done = subprocess.run(["sdcc", "--print-search-dirs"], capture_output=True, text=True)
    lines = done.stdout.splitlines()
    dirs = lines[lines.index("datadir:") + 1 : lines.index("includedir:")]
    for base in dirs:
        path = Path(base) / "sdcc" / "lib" / "src" / "pdk13" / f"{name}.s"
        if path.is_file():
            return path
    return None


FIRMWARE = ["blink", "uart_hello", "button", "switch", "spi_master", "checksum"]


@pytest.mark.parametrize("flags", [(), ("--debug",)])
@pytest.mark.parametrize("name", FIRMWARE)
def test_sdcc_firmware_assembles_to_the_words_of_the_sdcc_build(sdcc_build, name, flags):
    """tests/firmware/*.c as `sdcc -mpdk13` compiles them (switch jump tables, pointers
    through __gptrget, 16- and 32-bit arithmetic, interrupt routines; with --debug, the
    C$ records assigned twice): our assembler on SDCC's .asm, with the library routines
    it calls appended as sdldpdk appends them, gives the words of SDCC's .ihx."""
    ihx = sdcc_build(name, flags=flags)
    source = ihx.with_suffix(".asm").read_text()
    theirs = Image.from_ihx(ihx, symbols=False)
    for routine in ("__gptrget",):
        if f"call\t{routine}" in source:
            library = sdcc_library_source(routine)
            if library is None:
                pytest.skip(f"the source of SDCC's {routine} is not installed")
            source += library.read_text()
    ours = assemble(source, str(ihx.with_suffix(".asm")))
    assert ours.used_words > 40
    assert_same_words(theirs, ours)
    # the C lines read from SDCC's comments in the .asm are the loader's (from the .rst)
    c_lines = {pc: (s.filename, s.line) for pc, s in ours.symbol_table.lines.items()}
    loaded = Image.from_ihx(ihx).symbol_table.lines
    assert c_lines == {pc: (s.filename, s.line) for pc, s in loaded.items()}


def test_sdcc_ihx_round_trips_through_our_image(tmp_path):
    source = PROGRAMS["interrupt_handler"]
    sdcc_image(tmp_path, source)
    text = (tmp_path / "x.ihx").read_text()
    image = Image.from_ihx(text)
    again = Image.from_ihx(image.to_ihx())
    assert np.array_equal(again.words, image.words)
    assert np.array_equal(again.written, image.written)
