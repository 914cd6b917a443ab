package io.atrium.sandboxer.vmm.qmp;

import java.io.IOException;

/** QEMU answered a QMP command with an error, or the QMP conversation broke. */
public final class QmpException extends IOException {
    private static final long serialVersionUID = 1L;
    private final String errorClass;

    public QmpException(String errorClass, String message) {
        super(message);
        this.errorClass = errorClass;
    }

    public QmpException(String message, Throwable cause) {
        super(message, cause);
        this.errorClass = "";
    }

    /** QMP's error class, such as {@code GenericError} or {@code DeviceNotFound}; empty for transport failures. */
    public String errorClass() {
        return errorClass;
    }
}
