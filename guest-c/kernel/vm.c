/*
 * Paging, for one purpose: a guard page under every thread's stack, so that a stack overflow
 * faults on its first byte past the stack instead of silently overwriting whatever lies below.
 *
 * All of RAM is identity-mapped (a virtual address is its physical address, as before paging:
 * the host's guest-physical addresses stay valid pointers), with 4 KiB pages so that single
 * pages can be unmapped. A stack's guard page is its lowest page, not present.
 *
 * The catch: in ring 0 the CPU delivers a page fault by pushing onto the current stack, the very
 * one that overflowed, which faults again (double fault, then triple fault: a reset). So vector
 * 14 is a task gate: the CPU switches to a task of its own (the fault TSS, with its own stack)
 * and saves the faulting context in the main TSS, where the report reads it. The fault task
 * never returns: a page fault here is always fatal (stack overflow: status 139, 128 + SIGSEGV;
 * any other page fault: 142, 128 + vector, like fault() in trap.c).
 */
#include <stdio.h>
#include <string.h>
#include "defs.h"
#include "proc.h"
#include "x86.h"

#define PTE_P 0x001
#define PTE_W 0x002
#define CR0_PG 0x80000000u

struct tss {
    uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
    uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
    uint32_t es, cs, ss, ds, fs, gs, ldt;
    uint16_t trap, iomap;
};

static uint32_t *pgdir;
static uint32_t *ptes; /* all page tables, contiguous: ptes[addr / PGSIZE] */
static uint32_t mapped_end;
static struct tss tss_main, tss_fault;
static char fault_stack[8192] __attribute__((aligned(16)));
extern char boot_stack_guard[]; /* boot.S: the page below the boot (idle) stack */

void pf_entry(void);
__asm__(".text\n"
        ".globl pf_entry\n"
        "pf_entry:\n\t"
        "call pf_report\n" /* the CPU pushed the error code: pf_report's argument */
        "1:\tcli\n\thlt\n\tjmp 1b\n");

static void invlpg(uint32_t a) { __asm__ volatile("invlpg (%0)" : : "r"(a) : "memory"); }

void vm_init(void)
{
    mapped_end = kalloc_ram_end();
    uint32_t npte = mapped_end / PGSIZE, ntables = (npte + 1023) / 1024;
    pgdir = kalloc_pages(1 + ntables);
    if (pgdir == 0) {
        fprintf(stderr, "hermitkv: no memory for page tables\n");
        hkv_exit(127);
    }
    ptes = pgdir + 1024;
    memset(pgdir, 0, PGSIZE * (1 + ntables));
    for (uint32_t i = 0; i < npte; i++)
        ptes[i] = i * PGSIZE | PTE_P | PTE_W;
    for (uint32_t t = 0; t < ntables; t++)
        pgdir[t] = (uint32_t)(uintptr_t)(ptes + t * 1024) | PTE_P | PTE_W;

    /* The main TSS receives the faulting context; the fault TSS starts pf_entry. */
    tss_main.iomap = sizeof(struct tss);
    tss_fault.iomap = sizeof(struct tss);
    tss_fault.cr3 = (uint32_t)(uintptr_t)pgdir;
    tss_fault.eip = (uint32_t)(uintptr_t)pf_entry;
    tss_fault.eflags = 0x2; /* interrupts off */
    tss_fault.esp = (uint32_t)(uintptr_t)(fault_stack + sizeof fault_stack);
    tss_fault.cs = SEG_KCODE;
    tss_fault.ss = tss_fault.ds = tss_fault.es = tss_fault.fs = tss_fault.gs = SEG_KDATA;
    gdt_set_tss(SEG_TSS_MAIN, &tss_main, sizeof tss_main);
    gdt_set_tss(SEG_TSS_FAULT, &tss_fault, sizeof tss_fault);
    __asm__ volatile("ltr %w0" : : "r"(SEG_TSS_MAIN));
    idt_set_task_gate(14, SEG_TSS_FAULT);

    uint32_t cr0;
    __asm__ volatile("movl %0, %%cr3" : : "r"(pgdir) : "memory");
    __asm__ volatile("movl %%cr0, %0" : "=r"(cr0));
    __asm__ volatile("movl %0, %%cr0" : : "r"(cr0 | CR0_PG) : "memory");
    vm_guard(boot_stack_guard, 1); /* the idle thread's */
}

/* Unmap (guard) or map again the page at a; before vm_init there is nothing to do. */
void vm_guard(void *a, int guard)
{
    uint32_t pg = (uint32_t)(uintptr_t)a;
    if (ptes == 0 || pg >= mapped_end)
        return;
    ptes[pg / PGSIZE] = guard ? pg : pg | PTE_P | PTE_W;
    invlpg(pg);
}

static struct thread *guard_owner(uint32_t a)
{
    for (int i = -1; i < NTHREAD; i++) {
        struct thread *t = i < 0 ? cur : &threads[i];
        uint32_t g = (uint32_t)(uintptr_t)t->stack - PGSIZE;
        if (t->stack && t->state != T_UNUSED && a >= g && a < g + PGSIZE)
            return t;
    }
    return 0;
}

/* In the fault task, on its own stack, interrupts off. */
__attribute__((noreturn, used)) void pf_report(uint32_t err)
{
    uint32_t cr2;
    __asm__ volatile("movl %%cr2, %0" : "=r"(cr2));
    const struct tss *c = &tss_main; /* the context that faulted */
    struct thread *t = guard_owner(cr2);
    console_flush();
    if (t) {
        fprintf(stderr, "hermitkv: stack overflow in thread %u (guard page 0x%08x hit by eip 0x%08x, "
                        "esp 0x%08x): exiting with status 139\n", t->id, cr2 & ~(PGSIZE - 1), c->eip, c->esp);
        hkv_exit(139);
    }
    fprintf(stderr,
            "hermitkv: guest fault: Page Fault (vector 14, error code 0x%x) in thread %u\n"
            "  eip 0x%08x  eflags 0x%08x  cr2 0x%08x (%s)\n"
            "  eax 0x%08x  ebx 0x%08x  ecx 0x%08x  edx 0x%08x\n"
            "  esi 0x%08x  edi 0x%08x  ebp 0x%08x  esp 0x%08x\n"
            "hermitkv: exiting with status 142\n",
            err, cur->id, c->eip, c->eflags, cr2, cr2 >= mapped_end ? "beyond RAM" : "unmapped",
            c->eax, c->ebx, c->ecx, c->edx, c->esi, c->edi, c->ebp, c->esp);
    hkv_exit(142);
}
