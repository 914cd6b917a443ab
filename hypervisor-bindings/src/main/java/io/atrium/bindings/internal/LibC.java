package io.atrium.bindings.internal;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;

/**
 * The raw glibc entry points the bindings use. Internal: public wrappers check each return value
 * and turn the errno JNA captured into an {@code ErrnoException} naming the call.
 *
 * <p>x86_64 only: {@code size_t}/{@code ssize_t}/{@code off_t} map to Java {@code long}. Variadic C
 * functions (prctl, ioctl, open, syscall) are mapped with fixed integer/pointer signatures, which
 * is sound on the x86_64 SysV ABI for integer arguments.
 */
public interface LibC extends Library {

    /** The process-wide library handle; stateless, so a holder is fine. */
    LibC INSTANCE = Native.load("c", LibC.class);

    int unshare(int flags) throws LastErrorException;

    int setns(int fd, int nstype) throws LastErrorException;

    int mount(String source, String target, String fstype, NativeLong flags, String data) throws LastErrorException;

    int umount2(String target, int flags) throws LastErrorException;

    int prctl(int option, long arg2, long arg3, long arg4, long arg5) throws LastErrorException;

    int waitid(int idtype, int id, Pointer infop, int options) throws LastErrorException;

    int kill(int pid, int sig) throws LastErrorException;

    int gettid();

    int getpid();

    int statfs(String path, Pointer buf) throws LastErrorException;

    int sethostname(byte[] name, long len) throws LastErrorException;

    int gethostname(byte[] name, long len) throws LastErrorException;

    int open(String path, int flags, int mode) throws LastErrorException;

    int close(int fd) throws LastErrorException;

    int mkdir(String path, int mode) throws LastErrorException;

    int rmdir(String path) throws LastErrorException;

    long read(int fd, Pointer buf, long count) throws LastErrorException;

    long write(int fd, Pointer buf, long count) throws LastErrorException;

    int poll(Pointer fds, int nfds, int timeoutMillis) throws LastErrorException;

    int eventfd(int initval, int flags) throws LastErrorException;

    int ioctl(int fd, long request, Pointer arg) throws LastErrorException;

    int ioctl(int fd, long request, long arg) throws LastErrorException;

    Pointer mmap(Pointer addr, long length, int prot, int flags, int fd, long offset) throws LastErrorException;

    int munmap(Pointer addr, long length) throws LastErrorException;

    int socket(int domain, int type, int protocol) throws LastErrorException;

    int bind(int fd, Pointer addr, int addrlen) throws LastErrorException;

    int connect(int fd, Pointer addr, int addrlen) throws LastErrorException;

    int listen(int fd, int backlog) throws LastErrorException;

    int accept4(int fd, Pointer addr, IntByReference addrlen, int flags) throws LastErrorException;

    int getsockname(int fd, Pointer addr, IntByReference addrlen) throws LastErrorException;

    int getpeername(int fd, Pointer addr, IntByReference addrlen) throws LastErrorException;

    int shutdown(int fd, int how) throws LastErrorException;

    long syscall(long number, long a1, long a2, long a3, long a4) throws LastErrorException;

    long recvmsg(int fd, Pointer msg, int flags) throws LastErrorException;

    int tcgetattr(int fd, Pointer termios) throws LastErrorException;

    int tcsetattr(int fd, int optionalActions, Pointer termios) throws LastErrorException;

    void cfmakeraw(Pointer termios);
}
