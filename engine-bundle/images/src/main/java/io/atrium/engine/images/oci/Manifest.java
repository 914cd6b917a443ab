package io.atrium.engine.images.oci;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * An image manifest or an index/manifest list: both shapes share one record because a registry
 * tells which it sent only by media type (header or field).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Manifest(Integer schemaVersion, String mediaType, Descriptor config, List<Descriptor> layers,
        List<Descriptor> manifests, Map<String, String> annotations) {
}
