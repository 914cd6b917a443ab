#include <stdio.h>
#include <stdlib.h>
// argv and env reach the module; both streams go to the CRI log
int main(int argc, char **argv) {
    printf("hello from wasm\n");
    printf("args=%d last=%s\n", argc, argv[argc - 1]);
    const char *greeting = getenv("GREETING");
    printf("GREETING=%s\n", greeting ? greeting : "(unset)");
    fprintf(stderr, "to stderr\n");
    printf("no newline at the end");
    return 0;
}
