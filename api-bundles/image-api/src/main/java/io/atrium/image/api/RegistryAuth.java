package io.atrium.image.api;

/**
 * Credentials for one pull, as the CRI {@code AuthConfig} carries them. Any field may be null.
 *
 * @param auth base64 of {@code username:password}
 * @param identityToken a refresh token exchanged for a bearer token at the registry's token server
 * @param registryToken a bearer token sent to the registry as is
 */
public record RegistryAuth(String username, String password, String auth, String identityToken, String registryToken) {

    public static final RegistryAuth ANONYMOUS = new RegistryAuth(null, null, null, null, null);

    public boolean isAnonymous() {
        return blank(username) && blank(password) && blank(auth) && blank(identityToken) && blank(registryToken);
    }

    private static boolean blank(String s) {
        return s == null || s.isEmpty();
    }

    @Override
    public String toString() {
        // never print secrets
        return "RegistryAuth[" + (isAnonymous() ? "anonymous" : "user=" + (username == null ? "" : username)) + "]";
    }
}
