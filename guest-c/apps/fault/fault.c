/*
 * Deliberately faults, to show that a guest fault is reported (exception, registers) and ends the
 * run with status 128 + vector instead of hanging or killing the emulator.
 *   fault [div|ud|gp|int3|stack]    default div: divide error, vector 0, status 128
 * "stack": a thread recurses without end on a 16 KiB stack; the kernel's stack check reports
 * "stack overflow in thread N" and exits with status 139.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* Deep enough for any stack: 1 GiB of 256-byte frames. */
static int recurse(volatile char *prev, long depth)
{
    volatile char frame[256];
    frame[0] = prev ? prev[0] + 1 : 0;
    frame[255] = frame[0];
    if (depth == 0)
        return 0;
    return recurse(frame, depth - 1) + frame[255]; /* not a tail call: every frame stays */
}

static void *overflow(void *arg)
{
    (void)arg;
    recurse(0, 1L << 22);
    return 0;
}

int main(int argc, char **argv)
{
    const char *kind = argc > 1 ? argv[1] : "div";
    printf("hermitkv fault: about to raise a CPU exception (%s)\n", kind);
    if (strcmp(kind, "ud") == 0) {
        __asm__ volatile("ud2"); /* invalid opcode, vector 6 */
    } else if (strcmp(kind, "gp") == 0) {
        __asm__ volatile("movw $0x1234, %%ax; movw %%ax, %%ds" : : : "eax"); /* vector 13 */
    } else if (strcmp(kind, "stack") == 0) {
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setstacksize(&a, 16384);
        pthread_t t;
        pthread_create(&t, &a, overflow, 0);
        pthread_join(t, 0);
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
