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
#define SEG_TSS_MAIN 0x18  /* the running context, saved here by a task switch */
#define SEG_TSS_FAULT 0x20 /* the page-fault task (vm.c) */
void gdt_init(void);
void gdt_set_tss(int sel, const void *tss, uint32_t size);

/* idt.c */
void idt_init(void);
void idt_set_task_gate(int vector, int sel);

/* trap.c */
void trap(struct trapframe *tf);

/* pic.c */
void pic_init(void);
void pic_enable(int irq);
int pic_spurious(int irq);
void pic_eoi(int irq);

/* pit.c */
#define PIT_HZ 1000
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
uint64_t time_ns_to_tsc(uint64_t ns);
uint64_t time_tsc_of(long long sec, long nsec); /* a CLOCK_MONOTONIC time as a TSC value */

/* console.c (console_flush, stdio_flush_thread: libc/stdio.c) */
void console_write(int fd, const char *buf, size_t len);
void console_flush(void);      /* every thread's buffered output */
void stdio_flush_thread(void); /* the running thread's */

/* kalloc.c */
#define PGSIZE 4096
void kalloc_init(const struct multiboot_info *mbi);
void *kalloc_pages(size_t npages);
void kfree_pages(void *p, size_t npages);
size_t kalloc_free_pages(void);
uint32_t kalloc_ram_end(void);

/* vm.c */
void vm_init(void);
void vm_guard(void *page, int guard);

/* cmdline.c */
int cmdline_args(char ***argv);

/* kv.c */
void kv_init(void);
void kv_intr(void);
int kv_inflight(void);


/* exit.c */
__attribute__((noreturn)) void hkv_exit(int status);

#endif
