"""The bundled toolchain: an sdaspdk13-compatible assembler, a disassembler, Intel HEX."""
