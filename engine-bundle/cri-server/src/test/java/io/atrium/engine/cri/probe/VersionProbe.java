package io.atrium.engine.cri.probe;

import io.atrium.cri.v1.RuntimeServiceGrpc;
import io.atrium.cri.v1.VersionRequest;
import io.atrium.cri.v1.VersionResponse;
import io.grpc.BindableService;
import io.grpc.stub.StreamObserver;
import java.util.Hashtable;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

/** A bundle that plays the engine: registers a RuntimeService for the CRI whiteboard. */
public final class VersionProbe implements BundleActivator {

    @Override
    public void start(BundleContext context) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("cri.service", "runtime");
        context.registerService(BindableService.class, new RuntimeServiceGrpc.RuntimeServiceImplBase() {
            @Override
            public void version(VersionRequest request, StreamObserver<VersionResponse> response) {
                response.onNext(VersionResponse.newBuilder().setRuntimeName("probe")
                        .setRuntimeVersion(context.getBundle().getVersion().toString()).build());
                response.onCompleted();
            }
        }, props);
    }

    @Override
    public void stop(BundleContext context) {}
}
