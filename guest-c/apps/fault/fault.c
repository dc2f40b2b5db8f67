/*
 * Deliberately faults, to show that a guest fault is reported (exception, registers) and ends the
 * run with status 128 + vector instead of hanging or killing the emulator.
 *   fault [div|ud|gp|int3]    default div: divide error, vector 0, status 128
 */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    const char *kind = argc > 1 ? argv[1] : "div";
    printf("hermitkv fault: about to raise a CPU exception (%s)\n", kind);
    if (strcmp(kind, "ud") == 0) {
        __asm__ volatile("ud2"); /* invalid opcode, vector 6 */
    } else if (strcmp(kind, "gp") == 0) {
        __asm__ volatile("movw $0x1234, %%ax; movw %%ax, %%ds" : : : "eax"); /* vector 13 */
    } else if (strcmp(kind, "int3") == 0) {
        __asm__ volatile("int3"); /* breakpoint, vector 3 */
    } else {
        /* In assembly: a C division by zero would be undefined behaviour, not a fault. */
        __asm__ volatile("xorl %%edx, %%edx; movl $1, %%eax; xorl %%ecx, %%ecx; divl %%ecx"
                         : : : "eax", "ecx", "edx");
    }
    printf("hermitkv fault: still running: the exception did not happen\n");
    return 1;
}
