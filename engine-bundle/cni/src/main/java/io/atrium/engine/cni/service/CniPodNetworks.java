package io.atrium.engine.cni.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.atrium.engine.cni.Bandwidth;
import io.atrium.engine.cni.NetworkReadiness;
import io.atrium.engine.cni.PodAttachment;
import io.atrium.engine.cni.PodNetworkException;
import io.atrium.engine.cni.PodNetworkStatus;
import io.atrium.engine.cni.PodNetworks;
import io.atrium.engine.cni.PortMapping;
import io.atrium.engine.cni.client.AttachmentJournal;
import io.atrium.engine.cni.client.AttachmentRecord;
import io.atrium.engine.cni.client.AttachmentRecord.State;
import io.atrium.engine.cni.client.CniConfigDirectory;
import io.atrium.engine.cni.client.CniPluginException;
import io.atrium.engine.cni.client.CniPluginRunner;
import io.atrium.engine.cni.client.CniResults;
import io.atrium.engine.cni.client.NetworkConfigList;
import io.atrium.engine.cni.client.PluginChain;
import io.atrium.engine.cni.client.PluginInvocation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;

/**
 * Pod networking through the CNI plugins named by the node's config directory. Every attachment
 * is journaled before ADD starts and forgotten only after DEL succeeded; DELs that fail are
 * retried in the background, also after a node restart, so no address, interface or rule leaks.
 */
@Component(service = PodNetworks.class, configurationPid = CniConfiguration.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = CniConfiguration.class)
public final class CniPodNetworks implements PodNetworks, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(CniPodNetworks.class.getName());
    /** The pod's interface, as every kubelet runtime names it. */
    static final String POD_INTERFACE = "eth0";

    private final ObjectMapper json = new ObjectMapper();
    private final CniSettings settings;
    private final CniConfigDirectory configs;
    private final CniPluginRunner runner;
    private final PluginChain chain;
    private final AttachmentJournal journal;
    /** CNI forbids parallel operations on one container; striped so idle pods cost nothing. */
    private final ReentrantLock[] podLocks = new ReentrantLock[64];
    private final ScheduledExecutorService retries;

    @Activate
    public CniPodNetworks(BundleContext context, CniConfiguration config) throws IOException {
        this(CniSettings.resolve(config, context::getProperty));
    }

    public CniPodNetworks(CniSettings settings) throws IOException {
        this.settings = settings;
        this.configs = new CniConfigDirectory(settings.confDir(), json);
        this.runner = new CniPluginRunner(settings.binDirs(), settings.pluginTimeout(), json);
        this.chain = new PluginChain(runner, json);
        this.journal = new AttachmentJournal(settings.stateDir().resolve("attachments"), json);
        for (int i = 0; i < podLocks.length; i++) {
            podLocks[i] = new ReentrantLock();
        }
        this.retries = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "atrium-cni-del-retry");
            t.setDaemon(true);
            return t;
        });
        long every = settings.deleteRetry().toMillis();
        // the first pass right away picks up DELs a previous node run could not finish
        retries.scheduleWithFixedDelay(this::retryPendingDeletes, 0, every, TimeUnit.MILLISECONDS);
        LOG.info("CNI: configs from " + settings.confDir() + ", plugins from " + settings.binDirs()
                + ", journal " + journal.dir());
    }

    @Override
    public PodNetworkStatus setUp(PodAttachment pod) throws PodNetworkException {
        AttachmentJournal.checkPodId(pod.podId());
        if (!Files.exists(pod.netns())) {
            throw new PodNetworkException("network namespace " + pod.netns() + " of pod " + pod.podId() + " does not exist");
        }
        ReentrantLock lock = lockFor(pod.podId());
        lock.lock();
        try {
            // a retried RunPodSandbox must not ADD twice: release an earlier attachment first
            if (journal.read(pod.podId()).isPresent()) {
                deleteLocked(pod.podId());
            }
            CniConfigDirectory.Selection selection = configs.current();
            NetworkConfigList network = selection.network().orElseThrow(() -> new PodNetworkException(
                    "no valid CNI network config in " + settings.confDir() + describeSkipped(selection)));
            chain.negotiate(network);
            PluginInvocation call = new PluginInvocation(pod.podId(), pod.netns().toString(), POD_INTERFACE, cniArgs(pod));
            ObjectNode runtimeConfig = runtimeConfig(pod);
            AttachmentRecord record = new AttachmentRecord(AttachmentJournal.FORMAT, pod.podId(), State.ADDING,
                    pod.netns().toString(), POD_INTERFACE, call.cniArgs(), runtimeConfig, network.source(), null);
            journal.write(record);
            JsonNode result;
            try {
                result = chain.add(network, call, runtimeConfig);
            } catch (PluginChain.ChainFailure failure) {
                undoFailedAdd(record.with(State.DELETING, failure.partialResult()), network, call, failure);
                throw new PodNetworkException("CNI ADD of pod " + pod.podId() + " to network '" + network.name()
                        + "' failed: " + failure.getMessage(), failure.getCause());
            }
            try {
                journal.write(record.with(State.ATTACHED, result));
            } catch (IOException e) {
                undoFailedAdd(record.with(State.DELETING, result), network, call, e);
                throw e;
            }
            PodNetworkStatus status = CniResults.status(network.name(), POD_INTERFACE, result);
            LOG.info("pod " + pod.podId() + " attached to CNI network '" + network.name() + "': " + status.ips());
            return status;
        } catch (CniPluginException e) {
            throw new PodNetworkException("CNI set-up of pod " + pod.podId() + " failed: " + e.getMessage(), e);
        } catch (PodNetworkException e) {
            throw e;
        } catch (IOException e) {
            throw new PodNetworkException("CNI set-up of pod " + pod.podId() + " failed: " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    /** DEL right after a failed ADD; if even that fails the journal keeps it for the retry loop. */
    private void undoFailedAdd(AttachmentRecord record, NetworkConfigList network, PluginInvocation call, Exception cause) {
        try {
            journal.write(record);
            chain.delete(network, call, record.runtimeConfig(), record.result());
            journal.remove(record.podId());
        } catch (CniPluginException | IOException e) {
            cause.addSuppressed(e);
            LOG.warning("cleanup of failed CNI ADD for pod " + record.podId() + " failed, will retry: " + e.getMessage());
        }
    }

    @Override
    public void tearDown(String podId) throws PodNetworkException {
        AttachmentJournal.checkPodId(podId);
        ReentrantLock lock = lockFor(podId);
        lock.lock();
        try {
            deleteLocked(podId);
        } catch (CniPluginException | IOException e) {
            throw new PodNetworkException("CNI DEL of pod " + podId + " failed (kept, retried every "
                    + settings.deleteRetry().toSeconds() + " s): " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    private void deleteLocked(String podId) throws CniPluginException, IOException {
        Optional<AttachmentRecord> found = journal.read(podId);
        if (found.isEmpty()) {
            return;
        }
        AttachmentRecord record = found.get();
        if (record.state() != State.DELETING) {
            record = record.with(State.DELETING, record.result());
            journal.write(record);
        }
        NetworkConfigList network;
        try {
            network = NetworkConfigList.fromList(record.config());
        } catch (io.atrium.engine.cni.client.InvalidNetworkConfigException e) {
            throw new IOException("journaled network config of pod " + podId + " is unusable: " + e.getMessage(), e);
        }
        PluginInvocation call = new PluginInvocation(podId, netnsForDelete(record.netns()), record.ifName(), record.cniArgs());
        chain.delete(network, call, record.runtimeConfig(), record.result());
        journal.remove(podId);
        LOG.info("pod " + podId + " detached from CNI network '" + network.name() + "'");
    }

    @Override
    public void check(String podId) throws PodNetworkException {
        AttachmentJournal.checkPodId(podId);
        ReentrantLock lock = lockFor(podId);
        lock.lock();
        try {
            AttachmentRecord record = journal.read(podId).filter(r -> r.state() == State.ATTACHED)
                    .orElseThrow(() -> new PodNetworkException("pod " + podId + " is not attached to a CNI network"));
            NetworkConfigList network = NetworkConfigList.fromList(record.config());
            chain.check(network, new PluginInvocation(podId, record.netns(), record.ifName(), record.cniArgs()),
                    record.runtimeConfig(), record.result());
        } catch (CniPluginException | IOException | io.atrium.engine.cni.client.InvalidNetworkConfigException e) {
            throw new PodNetworkException("CNI CHECK of pod " + podId + " failed: " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Optional<PodNetworkStatus> status(String podId) {
        try {
            return journal.read(podId).filter(r -> r.state() == State.ATTACHED && r.result() != null)
                    .map(r -> CniResults.status(r.config().path("name").asText(), r.ifName(), r.result()));
        } catch (IOException | IllegalArgumentException e) {
            LOG.warning("cannot read CNI attachment of pod " + podId + ": " + e.getMessage());
            return Optional.empty();
        }
    }

    @Override
    public NetworkReadiness readiness() {
        CniConfigDirectory.Selection selection = configs.current();
        if (selection.network().isEmpty()) {
            return new NetworkReadiness(false, "NoCNIConfig",
                    "no valid CNI network config in " + settings.confDir() + describeSkipped(selection));
        }
        NetworkConfigList network = selection.network().get();
        List<String> missing = chain.missingPlugins(network);
        if (!missing.isEmpty()) {
            return new NetworkReadiness(false, "CNIPluginMissing", "CNI network '" + network.name() + "' from "
                    + selection.file().get() + " needs plugins " + missing + ", not found in " + settings.binDirs());
        }
        return new NetworkReadiness(true, "", "");
    }

    /** One pass over the journal: every attachment that still owes a DEL gets one. */
    public void retryPendingDeletes() {
        List<AttachmentRecord> pending;
        try {
            pending = journal.all().stream().filter(AttachmentRecord::needsDelete).toList();
        } catch (IOException e) {
            LOG.warning("cannot read the CNI journal " + journal.dir() + ": " + e.getMessage());
            return;
        }
        for (AttachmentRecord record : pending) {
            if (Thread.currentThread().isInterrupted()) {
                return; // the service is closing; the journal keeps the rest for the next instance
            }
            ReentrantLock lock = lockFor(record.podId());
            lock.lock();
            try {
                // a call for this pod may have settled the record while this pass waited for the lock
                Optional<AttachmentRecord> now = journal.read(record.podId());
                if (now.isPresent() && now.get().needsDelete()) {
                    deleteLocked(record.podId());
                }
            } catch (CniPluginException | IOException | RuntimeException e) {
                LOG.log(Level.WARNING, "CNI DEL of pod " + record.podId() + " failed again, will retry: " + e.getMessage());
            } finally {
                lock.unlock();
            }
        }
    }

    /** Every pod the journal holds, attached or owing a DEL (for tests and diagnostics). */
    public List<String> journaledPods() throws IOException {
        return journal.all().stream().map(AttachmentRecord::podId).toList();
    }

    /** Pods whose DEL is still owed (for tests and diagnostics). */
    public List<String> pendingDeletes() throws IOException {
        return journal.all().stream().filter(AttachmentRecord::needsDelete).map(AttachmentRecord::podId).toList();
    }

    @Deactivate
    @Override
    public void close() {
        retries.shutdownNow();
        try {
            // a retry pass still running must finish with the runner it started with
            retries.awaitTermination(settings.pluginTimeout().toMillis() * 8, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        runner.close();
    }

    private ReentrantLock lockFor(String podId) {
        return podLocks[Math.floorMod(podId.hashCode(), podLocks.length)];
    }

    /** The namespace file for DEL, or empty when it is gone: plugins then release what they can without it. */
    private static String netnsForDelete(String netns) {
        try {
            Path path = Path.of(netns);
            return Files.exists(path) && "nsfs".equals(Files.getFileStore(path).type()) ? netns : "";
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private static String cniArgs(PodAttachment pod) {
        List<String> args = new ArrayList<>();
        args.add("IgnoreUnknown=1");
        addArg(args, "K8S_POD_NAMESPACE", pod.podNamespace());
        addArg(args, "K8S_POD_NAME", pod.podName());
        addArg(args, "K8S_POD_INFRA_CONTAINER_ID", pod.podId());
        addArg(args, "K8S_POD_UID", pod.podUid());
        return String.join(";", args);
    }

    private static void addArg(List<String> args, String key, String value) {
        if (value.isEmpty()) {
            return;
        }
        if (value.indexOf(';') >= 0 || value.indexOf('=') >= 0) {
            throw new IllegalArgumentException(key + " '" + value + "' cannot be passed in CNI_ARGS (contains ';' or '=')");
        }
        args.add(key + "=" + value);
    }

    private ObjectNode runtimeConfig(PodAttachment pod) {
        ObjectNode config = json.createObjectNode();
        if (!pod.portMappings().isEmpty()) {
            ArrayNode ports = config.putArray("portMappings");
            for (PortMapping p : pod.portMappings()) {
                ObjectNode port = ports.addObject();
                port.put("hostPort", p.hostPort());
                port.put("containerPort", p.containerPort());
                port.put("protocol", p.protocol());
                if (!p.hostIp().isEmpty()) {
                    port.put("hostIP", p.hostIp());
                }
            }
        }
        Bandwidth bw = pod.bandwidth();
        if (bw != null) {
            ObjectNode shaping = config.putObject("bandwidth");
            if (bw.ingressRate() > 0) {
                shaping.put("ingressRate", bw.ingressRate());
                shaping.put("ingressBurst", bw.ingressBurst());
            }
            if (bw.egressRate() > 0) {
                shaping.put("egressRate", bw.egressRate());
                shaping.put("egressBurst", bw.egressBurst());
            }
        }
        return config;
    }

    private static String describeSkipped(CniConfigDirectory.Selection selection) {
        return selection.skipped().isEmpty() ? "" : " (skipped: " + String.join("; ", selection.skipped()) + ")";
    }
}
