/*
 * The uhyve-style hypercalls: one outl of the argument struct's guest-physical address to the
 * port that names the call. Memory is identity-mapped (no paging), so a pointer is its
 * guest-physical address.
 */
#ifndef HKV_UHYVE_H
#define HKV_UHYVE_H

#include <stdint.h>
#include <hermitkv/abi.h>
#include "x86.h"

static inline uint32_t gpa(const volatile void *p) { return (uint32_t)(uintptr_t)p; }

static inline void hypercall(uint16_t port, const volatile void *arg) { outl(port, gpa(arg)); }

#endif
