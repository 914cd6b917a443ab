package io.atrium.bindings.libc;

/**
 * The result of statfs(2): {@code struct statfs} from {@code bits/statfs.h} (x86_64, 120 bytes).
 *
 * @param type the filesystem magic number, see {@link FsMagic}
 */
public record StatFs(long type, long blockSize, long blocks, long freeBlocks, long availableBlocks,
                     long files, long freeFiles, long nameLength, long fragmentSize, long mountFlags) {

    static final int SIZE = 120;

    /** A short name for {@link #type()}, e.g. {@code tmpfs}. */
    public String typeName() {
        return FsMagic.name(type);
    }

    /** True if mounted read-only ({@code ST_RDONLY}). */
    public boolean readOnly() {
        return (mountFlags & 1) != 0;
    }
}
