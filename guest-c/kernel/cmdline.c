/*
 * The app's argv, fetched from the host uhyve-style: CMDSIZE tells argc and the bytes of all
 * strings with their NULs; CMDVAL copies them into our buffer back to back. argv[0] is the app
 * name. The host is not trusted to be consistent: we never read past our buffer, and a missing
 * argv[0] becomes "app".
 */
#include <stdint.h>
#include <stdlib.h>
#include <hermitkv/abi.h>
#include "defs.h"
#include "uhyve.h"

static char *fallback_argv[] = {"app", 0};

static int split(char *buf, uint32_t bytes, uint32_t argc, char **argv)
{
    uint32_t n = 0, i = 0;
    while (n < argc && i < bytes) {
        argv[n++] = buf + i;
        while (i < bytes && buf[i] != '\0')
            i++;
        i++; /* past the NUL */
    }
    argv[n] = 0;
    return (int)n;
}

int cmdline_args(char ***argvp)
{
    volatile struct hkv_cmdsize sz = {0, 0};
    hypercall(HKV_PORT_CMDSIZE, &sz);
    uint32_t argc = sz.argc, bytes = sz.bytes;
    if (argc == 0 || bytes == 0 || bytes > HKV_MAX_CMDLINE || argc > bytes)
        goto fallback;
    /* One extra NUL so that the last string ends inside the buffer whatever the host sent. */
    char *buf = calloc(1, bytes + 1);
    char **argv = calloc(argc + 1, sizeof(char *));
    if (buf == 0 || argv == 0)
        goto fallback;
    volatile struct hkv_cmdval val = {gpa(buf), bytes};
    hypercall(HKV_PORT_CMDVAL, &val);
    int n = split(buf, bytes, argc, argv);
    if (n == 0)
        goto fallback;
    *argvp = argv;
    return n;
fallback:
    *argvp = fallback_argv;
    return 1;
}
