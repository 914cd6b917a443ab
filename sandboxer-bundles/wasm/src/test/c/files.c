#include <stdio.h>
#include <ctype.h>
// copies /data/in.txt upper-cased to /out/result.txt
int main(void) {
    FILE *in = fopen("/data/in.txt", "r");
    if (!in) { perror("open /data/in.txt"); return 10; }
    FILE *out = fopen("/out/result.txt", "w");
    if (!out) { perror("open /out/result.txt"); return 11; }
    int c;
    while ((c = fgetc(in)) != EOF) fputc(toupper(c), out);
    fclose(out);
    fclose(in);
    printf("copied\n");
    return 0;
}
