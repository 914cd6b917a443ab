#include <stdio.h>
#include <errno.h>
#include <string.h>
// /escape is a symlink to the host's /etc in the image: opening through it must fail
int main(void) {
    FILE *f = fopen("/escape/hostname", "r");
    if (!f) { printf("blocked: %s\n", strerror(errno)); return 5; }
    char buf[128] = {0};
    fgets(buf, sizeof buf, f);
    printf("leaked: %s\n", buf);
    return 0;
}
