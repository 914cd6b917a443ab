package io.atrium.sandboxer.wasm;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Clock;

/**
 * What every pod of one sandboxer instance shares.
 *
 * @param run where pods keep their mounted filesystems ({@code <state>/sandboxers/wasm})
 * @param modules the compiled-module cache
 * @param fs mounts container filesystems
 * @param store persisted pod records
 * @param json reads OCI runtime specs
 * @param threadStackBytes stack size of each container's thread (deep Wasm recursion needs more than the default)
 */
record WasmEnvironment(Path run, ModuleCache modules, ContainerFs fs, PodStore store, ObjectMapper json,
        long threadStackBytes, Clock clock) {
}
