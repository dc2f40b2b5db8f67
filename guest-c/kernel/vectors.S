/*
 * Interrupt entry points: one entry per vector (0-31 CPU exceptions, 32-47 the two 8259s). Each
 * pushes a dummy error code when the CPU does not push one, so every trapframe has the same
 * shape, then the vector number, and joins alltraps, which saves the rest and calls trap(tf).
 */
#define SEG_KDATA 0x10

.macro VEC_NOERR n
    .globl vector\n
vector\n:
    pushl $0
    pushl $\n
    jmp alltraps
.endm

/* The exceptions for which the CPU pushes an error code. */
.macro VEC_ERR n
    .globl vector\n
vector\n:
    pushl $\n
    jmp alltraps
.endm

    .text
alltraps:
    pushl %ds
    pushl %es
    pushl %fs
    pushl %gs
    pushal
    movw $SEG_KDATA, %ax
    movw %ax, %ds
    movw %ax, %es
    cld /* the C ABI assumes DF=0; the interrupted code may have set it */
    pushl %esp
    call trap
    addl $4, %esp
    popal
    popl %gs
    popl %fs
    popl %es
    popl %ds
    addl $8, %esp /* vector and error code */
    iret

VEC_NOERR 0
VEC_NOERR 1
VEC_NOERR 2
VEC_NOERR 3
VEC_NOERR 4
VEC_NOERR 5
VEC_NOERR 6
VEC_NOERR 7
VEC_ERR 8
VEC_NOERR 9
VEC_ERR 10
VEC_ERR 11
VEC_ERR 12
VEC_ERR 13
VEC_ERR 14
VEC_NOERR 15
VEC_NOERR 16
VEC_ERR 17
VEC_NOERR 18
VEC_NOERR 19
VEC_NOERR 20
VEC_ERR 21
VEC_NOERR 22
VEC_NOERR 23
VEC_NOERR 24
VEC_NOERR 25
VEC_NOERR 26
VEC_NOERR 27
VEC_NOERR 28
VEC_ERR 29
VEC_ERR 30
VEC_NOERR 31
.irp n, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
VEC_NOERR \n
.endr

/* vectors[i] is the entry point for vector i; idt.c fills the IDT from it. */
    .section .rodata
    .align 4
    .globl vectors
vectors:
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .long vector\n
.endr
.irp n, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
    .long vector\n
.endr

    .section .note.GNU-stack, "", @progbits
