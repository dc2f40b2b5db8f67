/*
 * hello-kv: the smallest out-of-tree hermitkv app. Prints its arguments, stores a value, reads it
 * back and prints what came back.
 *   make image APP=examples/hello-kv && npm start -- images/hello-kv.elf -- one two
 */
#include <kv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    char args[512] = "";
    for (int i = 1; i < argc; i++) {
        if (i > 1)
            strncat(args, " ", sizeof args - strlen(args) - 1);
        strncat(args, argv[i], sizeof args - strlen(args) - 1);
    }
    printf("args: %s\n", args);

    char key[] = "hello-kv/greeting";
    char value[] = "hello from the guest";
    if (put(key, value, strlen(value)) != 0) {
        printf("hello-kv: put failed\n");
        return 1;
    }
    char got[64];
    size_t len = sizeof got - 1;
    if (get(key, got, &len) != 0) {
        printf("hello-kv: get failed\n");
        return 1;
    }
    got[len] = '\0';
    printf("hello-kv: got \"%s\" for \"%s\"\n", got, key);
    return strcmp(got, value) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
