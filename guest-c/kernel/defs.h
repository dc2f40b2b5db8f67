/* Kernel-internal interfaces, one block per file (as in xv6). */
#ifndef HKV_DEFS_H
#define HKV_DEFS_H

#include <stddef.h>
#include <stdint.h>

struct multiboot_info;
struct trapframe;

/* gdt.c */
#define SEG_KCODE 0x08
#define SEG_KDATA 0x10
void gdt_init(void);

/* idt.c */
void idt_init(void);

/* trap.c */
void trap(struct trapframe *tf);

/* pic.c */
void pic_init(void);
void pic_enable(int irq);
int pic_spurious(int irq);
void pic_eoi(int irq);

/* pit.c */
#define PIT_HZ 250
void pit_init(void);
void pit_intr(void);
uint32_t pit_ticks(void);
#define PIT_INPUT_HZ 1193182
#define PIT_STOPWATCH_PERIOD 0xFFFF /* counts per wrap */
void pit_stopwatch_start(void);
uint16_t pit_stopwatch_read(void);

/* time.c */
void time_init(void);
uint64_t time_tsc_hz(void);

/* console.c (console_flush: libc/stdio.c) */
void console_write(int fd, const char *buf, size_t len);
void console_flush(void);

/* kalloc.c */
#define PGSIZE 4096
void kalloc_init(const struct multiboot_info *mbi);
void *kalloc_pages(size_t npages);
void kfree_pages(void *p, size_t npages);
size_t kalloc_free_pages(void);
uint32_t kalloc_ram_end(void);

/* cmdline.c */
int cmdline_args(char ***argv);

/* kv.c */
void kv_init(void);
void kv_intr(void);

/* exit.c */
__attribute__((noreturn)) void hkv_exit(int status);

#endif
