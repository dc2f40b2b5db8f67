/*
 * Entry from a Multiboot v1 loader (v86 without a BIOS): 32-bit protected mode, flat segments,
 * interrupts off, but no GDT, IDT or stack of ours yet. Set up a stack and an FPU state and call
 * kmain(magic, info); main.c loads the GDT and IDT before anything can fault.
 */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003 /* page-align modules, give us a memory map */
#define STACK_SIZE 65536

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .text
    .globl _start
_start:
    cli
    movl $boot_stack_top, %esp
    xorl %ebp, %ebp
    /* x87 on, no emulation, native error reporting: printf's %f needs the FPU. */
    movl %cr0, %ecx
    andl $~0x0000000C, %ecx /* clear EM, TS */
    orl $0x00000022, %ecx   /* set MP, NE */
    movl %ecx, %cr0
    fninit
    pushl %ebx /* multiboot info */
    pushl %eax /* magic */
    call kmain
1:  cli
    hlt
    jmp 1b

    .bss
    .align 4096
    .globl boot_stack_guard
boot_stack_guard: /* unmapped by vm.c once paging is on: the idle thread's guard page */
    .space 4096
    .globl boot_stack_bottom
boot_stack_bottom:
    .space STACK_SIZE
    .globl boot_stack_top
boot_stack_top:

    .section .note.GNU-stack, "", @progbits
