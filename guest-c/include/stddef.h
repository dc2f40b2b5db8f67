/* <stddef.h> for the hermitkv guest: size_t, ptrdiff_t, NULL, offsetof, max_align_t. */
#ifndef _HKV_STDDEF_H
#define _HKV_STDDEF_H

typedef __SIZE_TYPE__ size_t;
typedef __PTRDIFF_TYPE__ ptrdiff_t;
typedef __WCHAR_TYPE__ wchar_t;
/* malloc returns blocks aligned for this type: 16 bytes (room for SSE data later). */
typedef struct {
    _Alignas(16) long long ll;
} max_align_t;

#define NULL ((void *)0)
#define offsetof(type, member) __builtin_offsetof(type, member)

#endif
