package io.atrium.bindings.vsock;

import com.sun.jna.Memory;

/**
 * An AF_VSOCK address, {@code struct sockaddr_vm} from {@code linux/vm_sockets.h} (16 bytes). CIDs and
 * ports are unsigned 32-bit values held in ints.
 */
public record VsockAddress(int cid, int port) {
    /** Any CID (bind only). */
    public static final int CID_ANY = -1;
    public static final int CID_HYPERVISOR = 0;
    /** This host through the loopback transport. */
    public static final int CID_LOCAL = 1;
    /** The host, seen from a guest. */
    public static final int CID_HOST = 2;
    public static final int PORT_ANY = -1;

    static final short AF_VSOCK = 40; // linux/socket.h
    static final int SIZE = 16;

    Memory toNative() {
        Memory m = new Memory(SIZE);
        m.clear();
        m.setShort(0, AF_VSOCK);
        m.setInt(4, port);
        m.setInt(8, cid);
        return m;
    }

    static VsockAddress fromNative(Memory m) {
        return new VsockAddress(m.getInt(8), m.getInt(4));
    }

    @Override
    public String toString() {
        return "vsock:" + Integer.toUnsignedString(cid) + ":" + Integer.toUnsignedString(port);
    }
}
