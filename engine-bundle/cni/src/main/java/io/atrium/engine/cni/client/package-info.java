/** The CNI client: plugin execution, network config lists, the config directory, the attachment journal. */
package io.atrium.engine.cni.client;
