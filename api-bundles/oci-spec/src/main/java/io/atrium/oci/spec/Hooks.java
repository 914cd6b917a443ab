package io.atrium.oci.spec;

import java.util.List;

/** Commands run at points of the container's lifecycle. */
public record Hooks(List<Hook> prestart, List<Hook> createRuntime, List<Hook> createContainer,
        List<Hook> startContainer, List<Hook> poststart, List<Hook> poststop) {

    public Hooks {
        prestart = Copies.list(prestart);
        createRuntime = Copies.list(createRuntime);
        createContainer = Copies.list(createContainer);
        startContainer = Copies.list(startContainer);
        poststart = Copies.list(poststart);
        poststop = Copies.list(poststop);
    }

    /** One hook: absolute {@code path}, argv, environment and timeout in seconds. */
    public record Hook(String path, List<String> args, List<String> env, Integer timeout) {
        public Hook {
            args = Copies.list(args);
            env = Copies.list(env);
        }
    }
}
