/*
 * Boot order. Entered from boot.S with the loader's magic and boot information, interrupts off and
 * no GDT/IDT: the descriptor tables come first so that any fault from here on is reported. Then
 * the interrupt controllers and devices, memory, interrupts on, the clock, and finally the app:
 * its main's return value is the machine's exit status.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "defs.h"
#include "multiboot.h"
#include "x86.h"

int main(int argc, char **argv); /* the app's */

void kmain(uint32_t magic, const struct multiboot_info *mbi)
{
    gdt_init();
    idt_init();
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC) {
        fprintf(stderr, "hermitkv: not booted by a multiboot loader (magic 0x%x)\n", magic);
        hkv_exit(127);
    }
    pic_init();
    pit_init();
    kalloc_init(mbi);
    kv_init();
    sti();
    time_init();

    char **argv;
    int argc = cmdline_args(&argv);
    exit(main(argc, argv));
}
