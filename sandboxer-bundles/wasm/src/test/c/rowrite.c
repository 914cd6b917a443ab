#include <stdio.h>
#include <errno.h>
#include <string.h>
// exit 7 when the read-only mount refuses the write, 0 when it (wrongly) allows it
int main(void) {
    FILE *f = fopen("/ro/new.txt", "w");
    if (!f) { printf("refused: %s\n", strerror(errno)); return 7; }
    fputs("written", f);
    fclose(f);
    return 0;
}
