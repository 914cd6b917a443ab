#include <stdio.h>
#include <stdlib.h>
// touches 1 MiB blocks until the memory limit ends it; exits 42 if malloc ever fails first
int main(void) {
    for (int i = 0; i < 4096; i++) {
        volatile char *p = malloc(1 << 20);
        if (!p) { printf("malloc failed after %d MiB\n", i); return 42; }
        for (int j = 0; j < (1 << 20); j += 4096) p[j] = (char) i; // volatile: the allocation cannot be elided
    }
    printf("never limited\n");
    return 0;
}
