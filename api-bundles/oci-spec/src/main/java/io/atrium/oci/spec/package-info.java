/**
 * The OCI runtime specification's {@code config.json} as plain immutable records.
 *
 * <p>Every record component is named exactly like its JSON key, so any Jackson mapper with
 * {@code NON_NULL} inclusion writes a valid config (null means "absent"); no Jackson annotations
 * are needed and none are used, so runc, gVisor and the microVM agent share the same types with
 * whatever JSON library they use. Unknown keys should be ignored when reading. Lists and maps are
 * copied on construction and stay null when given null.
 */
@Export
@Version("1.0.0")
package io.atrium.oci.spec;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
