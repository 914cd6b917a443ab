package io.atrium.engine.images.registry;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;

/**
 * One place a repository can be fetched from: the registry itself or a mirror of it.
 *
 * @param apiRoot the distribution API root, such as {@code https://registry-1.docker.io/v2}
 */
public record Endpoint(URI apiRoot, boolean mirror) {

    /** Docker Hub's API does not live on the host its references name. */
    static final String DOCKER_HUB_API = "registry-1.docker.io";

    public static Endpoint origin(String domain, boolean insecure) {
        String authority = domain.equals("docker.io") ? DOCKER_HUB_API : domain;
        String scheme = insecure || isLoopback(authority) ? "http" : "https";
        return new Endpoint(URI.create(scheme + "://" + authority + "/v2"), false);
    }

    public static Endpoint mirror(URI url) {
        String path = url.getRawPath();
        String root = path == null || path.isEmpty() || path.equals("/") ? "/v2" : path.replaceAll("/+$", "");
        return new Endpoint(URI.create(url.getScheme() + "://" + url.getRawAuthority() + root), true);
    }

    public URI resolve(String relative) {
        return URI.create(apiRoot + "/" + relative);
    }

    public String authority() {
        return apiRoot.getRawAuthority();
    }

    /** localhost, 127.0.0.0/8 and ::1, with or without port: plain HTTP as containerd allows. */
    static boolean isLoopback(String authority) {
        String host = URI.create("http://" + authority).getHost();
        if (host == null) {
            return false;
        }
        if (host.equals("localhost")) {
            return true;
        }
        if (host.startsWith("[")) {
            host = host.substring(1, host.length() - 1);
        }
        if (!host.matches("[0-9.]+|[0-9a-fA-F:]+")) {
            return false; // a name: never resolve it here, DNS could say anything
        }
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
