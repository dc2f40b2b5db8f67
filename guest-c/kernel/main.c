/*
 * Boot order. Entered from boot.S with the loader's magic and boot information, interrupts off and
 * no GDT/IDT: the descriptor tables come first so that any fault from here on is reported, then
 * the thread table (the boot context is the idle thread, whose output buffer early messages use).
 * Then the interrupt controllers and devices, memory, interrupts on, the clock, and finally the
 * app: main runs as thread 1 and its return value is the machine's exit status, while the boot
 * context stays behind as the idle thread.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "defs.h"
#include "multiboot.h"
#include "proc.h"
#include "x86.h"

void kmain(uint32_t magic, const struct multiboot_info *mbi)
{
    gdt_init();
    idt_init();
    proc_init();
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC) {
        fprintf(stderr, "hermitkv: not booted by a multiboot loader (magic 0x%x)\n", magic);
        hkv_exit(127);
    }
    pic_init();
    pit_init();
    kalloc_init(mbi);
    vm_init();
    kv_init();
    sti();
    time_init();

    char **argv;
    int argc = cmdline_args(&argv);
    proc_run_main(argc, argv);
}
