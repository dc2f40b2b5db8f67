/*
 * The demo: a boot counter kept in the key-value store. Each run reads it, adds one and writes it
 * back, so a second run against the same store prints the next number.
 */
#include <kv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY "demo/boot-count"

int main(int argc, char **argv)
{
    char buf[32];
    size_t len = sizeof buf - 1;
    long count = 0;
    int r = get(KEY, buf, &len);
    if (r == 0) {
        buf[len] = '\0';
        count = strtol(buf, 0, 10);
    } else if (r != -1) {
        printf("hermitkv demo: the stored counter is not a number I wrote (get returned %d)\n", r);
    }
    count++;
    int n = snprintf(buf, sizeof buf, "%ld", count);
    if (put(KEY, buf, (size_t)n) != 0) {
        printf("hermitkv demo: could not store the boot counter\n");
        return 1;
    }
    printf("hermitkv demo: this is boot number %ld (stored in S3 through the split driver)\n", count);
    for (int i = 1; i < argc; i++)
        printf("hermitkv demo: argv[%d] = \"%s\"\n", i, argv[i]);
    return 0;
}
