package io.atrium.itests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A signing key made for the test run with the JDK's keytool, used with jarsigner: the same
 * tools a vendor or distributor uses, so the node's checks see real signatures.
 */
final class TestSigner {

    private static final Path JDK_BIN = Path.of(System.getProperty("java.home"), "bin");
    private static final String PASS = "itest-pass";

    private final String dname;
    private final int validityDays;
    private final String startDate;
    private Path dir;
    private final Map<Path, Path> signed = new ConcurrentHashMap<>();

    TestSigner(String dname, int validityDays) {
        this(dname, validityDays, null);
    }

    /** {@code startDate} is keytool's -startdate (for example {@code -400d}), to make expired certificates. */
    TestSigner(String dname, int validityDays, String startDate) {
        this.dname = dname;
        this.validityDays = validityDays;
        this.startDate = startDate;
    }

    private synchronized Path keystore() throws IOException, InterruptedException {
        if (dir == null) {
            dir = Files.createTempDirectory("atrium-signer-");
            List<String> cmd = new java.util.ArrayList<>(List.of(JDK_BIN.resolve("keytool").toString(), "-genkeypair",
                    "-keystore", dir.resolve("signer.p12").toString(), "-storetype", "PKCS12", "-storepass", PASS,
                    "-keypass", PASS, "-alias", "signer", "-keyalg", "EC", "-groupname", "secp256r1",
                    "-validity", String.valueOf(validityDays), "-dname", dname));
            if (startDate != null) {
                cmd.addAll(List.of("-startdate", startDate));
            }
            run(cmd);
            run(List.of(JDK_BIN.resolve("keytool").toString(), "-exportcert", "-rfc", "-keystore",
                    dir.resolve("signer.p12").toString(), "-storepass", PASS, "-alias", "signer", "-file",
                    dir.resolve("signer.pem").toString()));
        }
        return dir.resolve("signer.p12");
    }

    Path certificate() throws IOException {
        try {
            keystore();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        return dir.resolve("signer.pem");
    }

    /** A signed copy of {@code jar} (cached per input jar). */
    Path signed(Path jar) throws IOException, InterruptedException {
        Path ks = keystore();
        Path existing = signed.get(jar);
        if (existing != null) {
            return existing;
        }
        Path out = dir.resolve(signed.size() + "-" + jar.getFileName());
        run(List.of(JDK_BIN.resolve("jarsigner").toString(), "-keystore", ks.toString(), "-storetype", "PKCS12",
                "-storepass", PASS, "-keypass", PASS, "-signedjar", out.toString(), jar.toString(), "signer"));
        signed.put(jar, out);
        return out;
    }

    private static void run(List<String> cmd) throws IOException, InterruptedException {
        NodeProcess.Cli c = NodeProcess.exec(cmd);
        if (c.exit() != 0) {
            throw new IOException(cmd.get(0) + " failed: " + c.out() + c.err());
        }
    }
}
