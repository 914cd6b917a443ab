package io.atrium.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every figure of a run: per runtime, per metric, one value per repetition; and the raw
 * per-pod start latencies for the charts. Saved as JSON so the report can be redrawn.
 */
final class Results {
    public Map<String, String> machine = new TreeMap<>();
    /** runtime -> metric -> one value per repetition */
    public Map<String, Map<String, List<Double>>> figures = new TreeMap<>();
    /** runtime -> scenario -> every per-pod latency of every repetition (seconds) */
    public Map<String, Map<String, List<Double>>> latencies = new TreeMap<>();
    /** free-form notes: failures, what was skipped */
    public List<String> notes = new ArrayList<>();

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    synchronized void add(String runtime, String metric, double value) {
        figures.computeIfAbsent(runtime, k -> new TreeMap<>()).computeIfAbsent(metric, k -> new ArrayList<>()).add(value);
    }

    synchronized void samples(String runtime, String scenario, List<Double> values) {
        latencies.computeIfAbsent(runtime, k -> new TreeMap<>()).computeIfAbsent(scenario, k -> new ArrayList<>()).addAll(values);
    }

    List<Double> get(String runtime, String metric) {
        return figures.getOrDefault(runtime, Map.of()).getOrDefault(metric, List.of());
    }

    void save(Path file) throws IOException {
        JSON.writeValue(file.toFile(), this);
    }

    static Results load(Path file) throws IOException {
        return JSON.readValue(file.toFile(), Results.class);
    }
}
