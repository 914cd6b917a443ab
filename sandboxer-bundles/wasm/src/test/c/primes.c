#include <stdio.h>
#include <stdlib.h>
// CPU-bound benchmark: counts primes below N with trial division
int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 200000;
    int count = 0;
    for (int i = 2; i < n; i++) {
        int prime = 1;
        for (int d = 2; d * d <= i; d++) if (i % d == 0) { prime = 0; break; }
        count += prime;
    }
    printf("primes below %d: %d\n", n, count);
    return 0;
}
