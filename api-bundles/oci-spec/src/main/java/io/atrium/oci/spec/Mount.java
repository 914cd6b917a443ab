package io.atrium.oci.spec;

import java.util.List;

/**
 * A mount inside the container.
 *
 * @param destination absolute path inside the container
 * @param type filesystem type ({@code proc}, {@code tmpfs}, {@code bind}...)
 * @param source device, directory or pseudo-filesystem name
 * @param options fstab-style options ({@code ro}, {@code rbind}, {@code rprivate}...)
 */
public record Mount(String destination, String type, String source, List<String> options) {
    public Mount {
        options = Copies.list(options);
    }
}
