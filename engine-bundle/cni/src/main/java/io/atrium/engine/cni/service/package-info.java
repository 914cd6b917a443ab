/** The {@code PodNetworks} service built on the CNI client, and its configuration. */
package io.atrium.engine.cni.service;
