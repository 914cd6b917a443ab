package io.atrium.host.node;

import io.atrium.host.config.NodeConfig.TrustMode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSigner;
import java.security.GeneralSecurityException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.logging.Logger;

/**
 * Decides whether a bundle jar may run on this node, with jarsigner's rules: every entry must be
 * signed, no entry may have changed since signing, and the signer's certificate must chain to one
 * of the node's trusted certificates (PEM files in the trusted-signers directory) and be valid now.
 */
public final class BundleTrust {

    private static final Logger LOG = Logger.getLogger(BundleTrust.class.getName());

    /** The verdict on one jar: {@code problem} is null when it is signed by a trusted signer. */
    public record Verdict(String signer, String problem) {
        public boolean trusted() {
            return problem == null;
        }
    }

    private final TrustMode mode;
    private final Path signersDir;
    private final List<X509Certificate> trusted;

    public BundleTrust(TrustMode mode, Path signersDir) {
        this.mode = mode;
        this.signersDir = signersDir;
        this.trusted = mode == TrustMode.OFF ? List.of() : loadCertificates(signersDir);
        if (mode != TrustMode.OFF) {
            LOG.info("bundle trust " + mode.name().toLowerCase(Locale.ROOT) + ": " + trusted.size()
                    + " trusted signer certificate(s) in " + signersDir);
        }
    }

    public TrustMode mode() {
        return mode;
    }

    private static List<X509Certificate> loadCertificates(Path dir) {
        List<X509Certificate> certs = new ArrayList<>();
        if (dir == null || !Files.isDirectory(dir)) {
            return certs;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.{pem,crt,cer}")) {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            for (Path p : ds) {
                try (InputStream in = Files.newInputStream(p)) {
                    cf.generateCertificates(in).forEach(c -> certs.add((X509Certificate) c));
                } catch (GeneralSecurityException | IOException e) {
                    LOG.warning("ignoring unreadable trusted signer certificate " + p + ": " + e.getMessage());
                }
            }
        } catch (IOException | GeneralSecurityException e) {
            LOG.warning("cannot read trusted signers from " + dir + ": " + e.getMessage());
        }
        return certs;
    }

    /** Checks one jar; never throws for a bad jar, the verdict says what is wrong. */
    public Verdict verify(Path jarPath) {
        if (mode == TrustMode.OFF) {
            return new Verdict("", null);
        }
        Set<List<? extends java.security.cert.Certificate>> common = null;
        CodeSigner[] anySigners = null;
        try (JarFile jar = new JarFile(jarPath.toFile(), true)) {
            Enumeration<JarEntry> entries = jar.entries();
            byte[] buf = new byte[8192];
            while (entries.hasMoreElements()) {
                JarEntry e = entries.nextElement();
                // Reading an entry to the end is what makes JarFile compare it with its signed digest.
                try (InputStream in = jar.getInputStream(e)) {
                    while (in.read(buf) != -1) {
                        // digest check happens while reading
                    }
                } catch (SecurityException ex) {
                    return new Verdict("", "entry " + e.getName() + " was changed after signing (" + ex.getMessage() + ")");
                }
                if (e.isDirectory() || isSignatureFile(e.getName())) {
                    continue;
                }
                CodeSigner[] signers = e.getCodeSigners();
                if (signers == null || signers.length == 0) {
                    return new Verdict("", anySigners == null && common == null ? "the jar is not signed"
                            : "entry " + e.getName() + " is not signed");
                }
                anySigners = signers;
                Set<List<? extends java.security.cert.Certificate>> these = new HashSet<>();
                for (CodeSigner s : signers) {
                    these.add(s.getSignerCertPath().getCertificates());
                }
                if (common == null) {
                    common = these;
                } else {
                    common.retainAll(these);
                }
                if (common.isEmpty()) {
                    return new Verdict("", "entries are signed by different signers; no signer covers every entry");
                }
            }
        } catch (IOException | SecurityException e) {
            return new Verdict("", "the jar cannot be verified: " + e.getMessage());
        }
        if (common == null) {
            return new Verdict("", "the jar has no content to sign");
        }
        String lastProblem = null;
        String signerName = "";
        for (CodeSigner s : anySigners) {
            if (!common.contains(s.getSignerCertPath().getCertificates())) {
                continue;
            }
            X509Certificate leaf = (X509Certificate) s.getSignerCertPath().getCertificates().get(0);
            signerName = leaf.getSubjectX500Principal().getName();
            String problem = chainProblem(s.getSignerCertPath(), leaf);
            if (problem == null) {
                return new Verdict(signerName, null);
            }
            lastProblem = problem;
        }
        return new Verdict(signerName, lastProblem);
    }

    private String chainProblem(CertPath path, X509Certificate leaf) {
        String who = leaf.getSubjectX500Principal().getName();
        try {
            leaf.checkValidity();
        } catch (CertificateExpiredException e) {
            return "the certificate of signer " + who + " expired on " + leaf.getNotAfter().toInstant();
        } catch (CertificateNotYetValidException e) {
            return "the certificate of signer " + who + " is not valid before " + leaf.getNotBefore().toInstant();
        }
        if (trusted.isEmpty()) {
            return "signed by " + who + ", but this node trusts no signer (put PEM certificates in " + signersDir + ")";
        }
        if (trusted.contains(leaf)) {
            return null;
        }
        try {
            Set<TrustAnchor> anchors = new HashSet<>();
            trusted.forEach(c -> anchors.add(new TrustAnchor(c, null)));
            PKIXParameters params = new PKIXParameters(anchors);
            params.setRevocationEnabled(false);
            CertPathValidator.getInstance("PKIX").validate(path, params);
            return null;
        } catch (GeneralSecurityException e) {
            return "signed by " + who + ", which does not chain to a certificate trusted by this node (" + signersDir + ")";
        }
    }

    private static boolean isSignatureFile(String name) {
        String n = name.toUpperCase(Locale.ROOT);
        if (!n.startsWith("META-INF/")) {
            return false;
        }
        String rest = n.substring("META-INF/".length());
        return !rest.contains("/") && (rest.equals("MANIFEST.MF") || rest.endsWith(".SF") || rest.endsWith(".RSA")
                || rest.endsWith(".DSA") || rest.endsWith(".EC") || rest.startsWith("SIG-"));
    }
}
