package io.atrium.host.node;

import java.util.logging.Level;
import java.util.logging.Logger;
import org.osgi.framework.ServiceReference;

/** Sends Felix's own log messages into the node's log instead of standard output. */
final class FelixLogBridge extends org.apache.felix.framework.Logger {

    private static final Logger LOG = Logger.getLogger("org.apache.felix.framework");

    @Override
    protected void doLog(org.osgi.framework.Bundle bundle, ServiceReference sr, int level, String msg, Throwable throwable) {
        Level l = switch (level) {
            case LOG_ERROR -> Level.SEVERE;
            case LOG_WARNING -> Level.WARNING;
            case LOG_INFO -> Level.INFO;
            default -> Level.FINE;
        };
        String where = bundle == null ? "" : "[" + bundle.getSymbolicName() + "] ";
        LOG.log(l, where + msg, throwable);
    }
}
