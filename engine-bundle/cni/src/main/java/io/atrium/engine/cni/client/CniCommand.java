package io.atrium.engine.cni.client;

/** The operations of the CNI execution protocol (CNI_COMMAND). */
public enum CniCommand {
    ADD, DEL, CHECK, VERSION
}
