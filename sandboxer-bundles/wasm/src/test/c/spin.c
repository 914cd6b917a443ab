#include <stdio.h>
volatile unsigned long counter;
int main(void) {
    printf("spinning\n");
    fflush(stdout);
    for (;;) counter++;
}
