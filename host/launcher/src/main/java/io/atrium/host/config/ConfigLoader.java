package io.atrium.host.config;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Collectors;

/** Reads {@code atrium.toml} strictly: unknown keys and wrong types are errors naming the key. */
public final class ConfigLoader {

    private final TomlMapper mapper;

    public ConfigLoader() {
        mapper = TomlMapper.builder()
                .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .disable(com.fasterxml.jackson.databind.MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .build();
    }

    /** Loads the file; a missing file is an error only when {@code required}. */
    public NodeConfig load(Path file, boolean required) {
        if (file == null) {
            return NodeConfig.defaults();
        }
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            if (required) {
                throw new ConfigException(file + ": no such file");
            }
            return NodeConfig.defaults();
        } catch (IOException e) {
            throw new ConfigException(file + ": " + e.getMessage());
        }
        return parse(text, file.toString());
    }

    public NodeConfig parse(String toml, String origin) {
        try {
            NodeConfig c = mapper.readValue(toml, NodeConfig.class);
            return c == null ? NodeConfig.defaults() : c;
        } catch (UnrecognizedPropertyException e) {
            String known = e.getKnownPropertyIds() == null ? ""
                    : " (known keys: " + e.getKnownPropertyIds().stream().map(Object::toString).sorted()
                            .map(ConfigLoader::snake).collect(Collectors.joining(", ")) + ")";
            throw new ConfigException(origin + ": unknown key '" + key(e) + "'" + known);
        } catch (InvalidFormatException e) {
            throw new ConfigException(origin + ": key '" + key(e) + "' has the wrong type: expected "
                    + e.getTargetType().getSimpleName() + ", got '" + e.getValue() + "'");
        } catch (MismatchedInputException e) {
            throw new ConfigException(origin + ": key '" + key(e) + "' has the wrong type: expected "
                    + (e.getTargetType() == null ? "another type" : e.getTargetType().getSimpleName()));
        } catch (JsonMappingException e) {
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            throw new ConfigException(origin + ": " + (root instanceof IllegalArgumentException ? root.getMessage()
                    : "key '" + key(e) + "': " + e.getOriginalMessage()));
        } catch (IOException e) {
            throw new ConfigException(origin + ": not valid TOML: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    private static String key(JsonMappingException e) {
        return e.getPath().stream()
                .map(r -> r.getFieldName() != null ? snake(r.getFieldName()) : "[" + r.getIndex() + "]")
                .collect(Collectors.joining("."));
    }

    private static String snake(String name) {
        return ((PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.SNAKE_CASE).translate(name);
    }

    /** A configuration error, with a message meant for the operator. */
    public static final class ConfigException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public ConfigException(String message) {
            super(message);
        }
    }
}
