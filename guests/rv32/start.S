// Start file of the RV32IM guest programs: sets up gp, calls main(argc, argv) and exits with its return value.
// It replaces picolibc's bare-metal crt0 so the programs run as Linux user processes under qemu-riscv32 and the
// translator alike; it is placed in .init so _start is the first instruction of every program's text.

    // Names the file in .symtab: without it the assembler names its temporary file, and the ELF differs per build.
    .file "start.S"
    .section .init, "ax", @progbits
    .globl _start
    .type _start, @function
_start:
    // gp must be set with relaxation off, or the linker would turn this very load into a gp-relative one.
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    lw a0, 0(sp)
    addi a1, sp, 4
    call main
    li a7, 94
    ecall
    // exit_group never returns; spin rather than run off into whatever follows.
1:  j 1b
    .size _start, . - _start
