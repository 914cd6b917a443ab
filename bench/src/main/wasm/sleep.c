/* The Wasm benchmark workload: a WASI module that sleeps (poll_oneoff), like busybox sleep for runc pods. */
#include <unistd.h>
int main(void) {
    for (;;) sleep(3600);
}
