package io.atrium.bindings.tty;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import io.atrium.bindings.internal.LibC;
import io.atrium.bindings.libc.ErrnoException;
import io.atrium.bindings.libc.NativeFd;

/** ioctls and termios calls on a pseudo-terminal (either end), from {@code asm-generic/ioctls.h} and termios(3). */
public final class Pty {
    private static final LibC LIBC = LibC.INSTANCE;
    static final long TIOCGWINSZ = 0x5413;
    static final long TIOCSWINSZ = 0x5414;
    private static final int TCSANOW = 0;
    /** glibc's struct termios is 60 bytes on x86_64; a little room is harmless. */
    private static final int TERMIOS_SIZE = 64;

    private Pty() {
    }

    static final long TIOCGPTN = 0x80045430L;
    static final long TIOCSPTLCK = 0x40045431L;

    /** A new pseudo-terminal: its master (ours to close) and the path of its slave end. */
    public record Pair(NativeFd master, java.nio.file.Path slave) {
    }

    /** posix_openpt + unlockpt + ptsname, through /dev/ptmx and its ioctls. */
    public static Pair open() throws ErrnoException {
        int fd;
        try {
            fd = LIBC.open("/dev/ptmx", io.atrium.bindings.libc.FileFlags.O_RDWR | io.atrium.bindings.libc.FileFlags.O_CLOEXEC
                    | O_NOCTTY, 0);
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "open", "/dev/ptmx");
        }
        NativeFd master = new NativeFd(fd, "pty-master");
        try {
            Memory n = new Memory(4);
            n.setInt(0, 0);
            LIBC.ioctl(fd, TIOCSPTLCK, n);
            LIBC.ioctl(fd, TIOCGPTN, n);
            return new Pair(master, java.nio.file.Path.of("/dev/pts/" + n.getInt(0)));
        } catch (LastErrorException e) {
            master.close();
            throw new ErrnoException(e.getErrorCode(), "ioctl(TIOCSPTLCK/TIOCGPTN)", fd);
        }
    }

    private static final int O_NOCTTY = 0400;

    /** A terminal's size in character cells. */
    public record WindowSize(int rows, int columns) {
    }

    /** TIOCSWINSZ: sets the window size; the foreground process group gets SIGWINCH. */
    public static void setWindowSize(int fd, int rows, int columns) throws ErrnoException {
        if (rows < 0 || columns < 0 || rows > 0xFFFF || columns > 0xFFFF) {
            throw new IllegalArgumentException("window size out of range: " + rows + "x" + columns);
        }
        Memory ws = new Memory(8); // struct winsize { unsigned short ws_row, ws_col, ws_xpixel, ws_ypixel; }
        ws.clear();
        ws.setShort(0, (short) rows);
        ws.setShort(2, (short) columns);
        try {
            LIBC.ioctl(fd, TIOCSWINSZ, ws);
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "ioctl(TIOCSWINSZ)", fd, rows + "x" + columns);
        }
    }

    /** TIOCGWINSZ: the current window size. */
    public static WindowSize windowSize(int fd) throws ErrnoException {
        Memory ws = new Memory(8);
        ws.clear();
        try {
            LIBC.ioctl(fd, TIOCGWINSZ, ws);
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "ioctl(TIOCGWINSZ)", fd);
        }
        return new WindowSize(Short.toUnsignedInt(ws.getShort(0)), Short.toUnsignedInt(ws.getShort(2)));
    }

    /** cfmakeraw(3) + tcsetattr(TCSANOW): no echo, no line editing, no signal characters, 8-bit clean. */
    public static void makeRaw(int fd) throws ErrnoException {
        Memory t = new Memory(TERMIOS_SIZE);
        t.clear();
        try {
            LIBC.tcgetattr(fd, t);
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "tcgetattr", fd);
        }
        LIBC.cfmakeraw(t);
        try {
            LIBC.tcsetattr(fd, TCSANOW, t);
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "tcsetattr", fd);
        }
    }

    /** Whether ECHO is set in the terminal's local modes (c_lflag, offset 12). */
    public static boolean echoes(int fd) throws ErrnoException {
        Memory t = new Memory(TERMIOS_SIZE);
        t.clear();
        try {
            LIBC.tcgetattr(fd, t);
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "tcgetattr", fd);
        }
        return (t.getInt(12) & 0x8) != 0; // ECHO = 0000010
    }
}
