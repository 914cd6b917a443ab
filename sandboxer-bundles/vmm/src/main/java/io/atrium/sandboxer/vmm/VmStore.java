package io.atrium.sandboxer.vmm;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import java.time.Instant;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * The VMs on disk under the sandboxer's state directory:
 * <pre>
 *   FORMAT          integer format of everything below (checked by the node's bundle update gate)
 *   vms/&lt;id&gt;.json  one {@link PersistedVm}, written atomically (temp file, fsync, rename, mode 0600)
 * </pre>
 */
final class VmStore {
    /** Keep in step with Atrium-State-Formats in bnd.bnd. */
    static final int FORMAT = 1;

    private final Path dir;
    private final Path vms;
    private final ObjectMapper json;

    VmStore(Path dir, ObjectMapper json) throws IOException {
        this.dir = dir;
        this.vms = dir.resolve("vms");
        this.json = json;
        Files.createDirectories(vms);
        Path format = dir.resolve("FORMAT");
        if (Files.exists(format)) {
            String text = Files.readString(format).strip();
            if (!text.equals(Integer.toString(FORMAT))) {
                throw new IOException("VM state in " + dir + " has format " + text + ", this vmm sandboxer reads format "
                        + FORMAT + " only; the VMs are left untouched");
            }
        } else {
            write(format, (FORMAT + "\n").getBytes(StandardCharsets.UTF_8));
        }
    }

    /** A mapper writing Instants as ISO-8601 strings without the jsr310 module bundle. */
    static ObjectMapper mapper() {
        SimpleModule instants = new SimpleModule("atrium-vmm-instants");
        instants.addSerializer(Instant.class, new JsonSerializer<>() {
            @Override
            public void serialize(Instant v, JsonGenerator gen, SerializerProvider p) throws IOException {
                gen.writeString(v.toString());
            }
        });
        instants.addDeserializer(Instant.class, new JsonDeserializer<>() {
            @Override
            public Instant deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
                return Instant.parse(p.getValueAsString());
            }
        });
        return new ObjectMapper().registerModule(instants)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }

    List<Path> files() throws IOException {
        List<Path> all = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(vms, "*.json")) {
            ds.forEach(all::add);
        }
        return all;
    }

    PersistedVm load(Path file) throws IOException {
        return json.readValue(file.toFile(), PersistedVm.class);
    }

    void save(PersistedVm vm) throws IOException {
        write(vms.resolve(vm.id() + ".json"), json.writerWithDefaultPrettyPrinter().writeValueAsBytes(vm));
    }

    void delete(String id) throws IOException {
        Files.deleteIfExists(vms.resolve(id + ".json"));
    }

    private static void write(Path target, byte[] bytes) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            ch.write(java.nio.ByteBuffer.wrap(bytes));
            ch.force(true);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
