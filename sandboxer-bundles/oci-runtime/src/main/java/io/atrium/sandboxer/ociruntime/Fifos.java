package io.atrium.sandboxer.ociruntime;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import io.atrium.bindings.libc.ErrnoException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Named pipes for container streams. mkfifo(3) is not in the bindings yet, so it is bound here. */
public final class Fifos {
    private interface CLibrary extends Library {
        int mkfifo(String path, int mode) throws LastErrorException;
    }

    private final CLibrary libc = Native.load("c", CLibrary.class);

    /** Creates a FIFO only root can open. */
    public void create(Path path) throws ErrnoException {
        try {
            libc.mkfifo(path.toString(), 0600);
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "mkfifo", path.toString(), "0600");
        }
    }

    /**
     * Opens the FIFO read-write and closes it again: that releases a reader still blocked in open(2)
     * (it then reads end-of-file if no writer remains). Opening read-write never blocks on Linux.
     */
    public static void releaseBlockedOpen(Path fifo) {
        try (FileChannel ignored = FileChannel.open(fifo, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            // nothing to do: the open itself was the point
        } catch (IOException e) {
            // the FIFO is gone, so nobody can be blocked opening it
        }
    }
}
