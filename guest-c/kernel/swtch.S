/*
 * void swtch(uint32_t *old_esp, uint32_t new_esp)
 *
 * The context switch: save the callee-saved registers of the C calling convention on the current
 * stack, store esp in *old_esp, load new_esp, pop the other thread's registers and return into
 * it. Everything else (caller-saved registers, EFLAGS, the FPU) is saved by the C code around the
 * call or by the interrupt entry. A new thread's stack is built by proc.c to look as if it had
 * called swtch from thread_start.
 */
    .text
    .globl swtch
swtch:
    movl 4(%esp), %eax
    movl 8(%esp), %edx
    pushl %ebp
    pushl %ebx
    pushl %esi
    pushl %edi
    movl %esp, (%eax)
    movl %edx, %esp
    popl %edi
    popl %esi
    popl %ebx
    popl %ebp
    ret

    .section .note.GNU-stack, "", @progbits
