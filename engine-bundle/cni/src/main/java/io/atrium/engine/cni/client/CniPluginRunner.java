package io.atrium.engine.cni.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * Runs CNI plugin executables as the CNI execution protocol says: the command and its parameters in
 * CNI_* environment variables, the network config on stdin, a result or an error object on stdout.
 */
public final class CniPluginRunner implements AutoCloseable {

    /** More output than this is not a CNI result; reading stops so a runaway plugin cannot fill the heap. */
    private static final int MAX_OUTPUT_BYTES = 1 << 20;
    /** Plugins run iptables, ip and friends; a JVM started with a thin PATH must not hide them. */
    private static final String SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private final List<Path> binDirs;
    private final Duration timeout;
    private final ObjectMapper json;
    /** VERSION answers per executable, keyed by path, size and modification time so an upgrade is seen. */
    private final Map<String, List<String>> versions = new ConcurrentHashMap<>();
    /** Own threads for the output readers: blocking reads must not sit in the common pool. */
    private final ExecutorService readers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "atrium-cni-output");
        t.setDaemon(true);
        return t;
    });

    public CniPluginRunner(List<Path> binDirs, Duration timeout, ObjectMapper json) {
        this.binDirs = List.copyOf(binDirs);
        this.timeout = timeout;
        this.json = json;
    }

    public List<Path> binDirs() {
        return binDirs;
    }

    /** The executable for a plugin type, searched in the bin dirs in order. */
    public Path find(String type) throws CniPluginException {
        for (Path dir : binDirs) {
            Path candidate = dir.resolve(type);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new CniPluginException("CNI plugin '" + type + "' not found in " + searchPath(), 0);
    }

    /** The spec versions a plugin supports (CNI VERSION), cached until the executable changes. */
    public List<String> supportedVersions(String type, String cniVersion) throws CniPluginException {
        Path exe = find(type);
        String key;
        try {
            key = exe + "|" + Files.size(exe) + "|" + Files.getLastModifiedTime(exe).toMillis();
        } catch (IOException e) {
            throw new CniPluginException("cannot read CNI plugin " + exe + ": " + e.getMessage(), e);
        }
        List<String> known = versions.get(key);
        if (known != null) {
            return known;
        }
        byte[] stdin = ("{\"cniVersion\":" + json.valueToTree(cniVersion) + "}").getBytes(StandardCharsets.UTF_8);
        JsonNode answer = invoke(type, CniCommand.VERSION, new PluginInvocation("", "", "", ""), stdin);
        JsonNode supported = answer == null ? null : answer.get("supportedVersions");
        if (supported == null || !supported.isArray()) {
            throw new CniPluginException("CNI plugin '" + type + "' VERSION returned no supportedVersions: " + answer, 0);
        }
        List<String> list = new ArrayList<>();
        supported.forEach(v -> list.add(v.asText()));
        versions.put(key, List.copyOf(list));
        return List.copyOf(list);
    }

    /**
     * Runs one plugin command and returns what it printed as JSON, or null when it printed nothing
     * (DEL and CHECK print nothing on success).
     */
    public JsonNode invoke(String type, CniCommand command, PluginInvocation call, byte[] stdin) throws CniPluginException {
        Path exe = find(type);
        String what = "CNI plugin '" + type + "' " + command;
        ProcessBuilder pb = new ProcessBuilder(exe.toString());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("CNI_"));
        env.merge("PATH", SYSTEM_PATH, (mine, system) -> mine.isEmpty() ? system : mine + ":" + system);
        env.put("CNI_COMMAND", command.name());
        env.put("CNI_PATH", searchPath());
        if (command != CniCommand.VERSION) {
            env.put("CNI_CONTAINERID", call.containerId());
            env.put("CNI_NETNS", call.netns());
            env.put("CNI_IFNAME", call.ifName());
            env.put("CNI_ARGS", call.cniArgs());
        }
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new CniPluginException(what + ": cannot start " + exe + ": " + e.getMessage(), e);
        }
        CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readCapped(process.getInputStream()), readers);
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readCapped(process.getErrorStream()), readers);
        try {
            try (OutputStream in = process.getOutputStream()) {
                in.write(stdin);
            } catch (IOException e) {
                // a plugin may exit before reading stdin; its exit status and output tell why
            }
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                kill(process);
                throw new CniPluginException(what + " timed out after " + timeout.toMillis() + " ms (killed)", 0);
            }
            byte[] stdout = out.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            byte[] stderr = err.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            int exit = process.exitValue();
            if (exit != 0) {
                throw failure(what, exit, stdout, stderr);
            }
            return parseResult(what, stdout);
        } catch (InterruptedException e) {
            kill(process);
            Thread.currentThread().interrupt();
            throw new CniPluginException(what + " interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            kill(process);
            throw new CniPluginException(what + ": cannot read its output: " + e, e);
        }
    }

    private JsonNode parseResult(String what, byte[] stdout) throws CniPluginException {
        String text = new String(stdout, StandardCharsets.UTF_8).trim();
        if (text.isEmpty()) {
            return null;
        }
        try {
            JsonNode node = json.readTree(text);
            if (node == null || !node.isObject()) {
                throw new CniPluginException(what + " printed something that is not a CNI result: " + excerpt(text), 0);
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new CniPluginException(what + " printed something that is not a CNI result: " + excerpt(text), 0);
        }
    }

    private CniPluginException failure(String what, int exit, byte[] stdout, byte[] stderr) {
        String out = new String(stdout, StandardCharsets.UTF_8).trim();
        String err = new String(stderr, StandardCharsets.UTF_8).trim();
        try {
            JsonNode error = out.isEmpty() ? null : json.readTree(out);
            if (error != null && error.isObject() && error.hasNonNull("msg")) {
                int code = error.path("code").asInt(0);
                String details = error.path("details").asText("");
                return new CniPluginException(what + " failed: " + error.get("msg").asText()
                        + (details.isEmpty() ? "" : " (" + details + ")") + " [CNI error code " + code + "]", code);
            }
        } catch (JsonProcessingException e) {
            // not an error object: report the raw output below
        }
        String said = !out.isEmpty() ? out : err;
        return new CniPluginException(what + " exited with " + exit
                + (said.isEmpty() ? " and printed nothing" : ": " + excerpt(said)), 0);
    }

    private static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static byte[] readCapped(InputStream in) {
        try (in) {
            byte[] data = in.readNBytes(MAX_OUTPUT_BYTES);
            in.transferTo(OutputStream.nullOutputStream()); // keep draining so the plugin never blocks on a full pipe
            return data;
        } catch (IOException e) {
            return new byte[0];
        }
    }

    private static String excerpt(String text) {
        String oneLine = text.replaceAll("\\s+", " ");
        return oneLine.length() <= 300 ? oneLine : oneLine.substring(0, 300) + "…";
    }

    @Override
    public void close() {
        readers.shutdownNow();
    }

    private String searchPath() {
        return binDirs.stream().map(Path::toString).collect(Collectors.joining(":"));
    }
}
