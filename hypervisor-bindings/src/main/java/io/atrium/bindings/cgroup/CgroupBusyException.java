package io.atrium.bindings.cgroup;

import io.atrium.bindings.libc.Errno;
import io.atrium.bindings.libc.ErrnoException;
import java.util.List;

/** A cgroup still holds processes, so it cannot be deleted (the kernel's EBUSY, with the pids). */
public class CgroupBusyException extends ErrnoException {
    private static final long serialVersionUID = 1L;
    private final List<Integer> pids;

    public CgroupBusyException(String cgroup, List<Integer> pids) {
        super(Errno.EBUSY.number(), "delete(cgroup still has processes " + pids + ")", cgroup);
        this.pids = List.copyOf(pids);
    }

    public List<Integer> pids() {
        return pids;
    }
}
