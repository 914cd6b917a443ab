package io.atrium.engine.sandboxers;

import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import io.atrium.sandbox.api.Sandboxer;
import io.atrium.sandbox.api.TaskEndpoint;
import io.atrium.sandbox.api.TaskService;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.function.Function;

/**
 * Dynamic proxies that route every call through a {@link SandboxerGate}. A proxy (rather than a
 * hand-written delegate) keeps working when the API gains default methods in a minor version.
 */
final class GatedInvocation implements InvocationHandler {

    private final SandboxerGate gate;
    private final Duration wait;
    private final Function<Sandboxer, Object> target;
    private final String description;

    private GatedInvocation(SandboxerGate gate, Duration wait, Function<Sandboxer, Object> target, String description) {
        this.gate = gate;
        this.wait = wait;
        this.target = target;
        this.description = description;
    }

    static Sandboxer sandboxer(SandboxerGate gate, Duration wait) {
        return (Sandboxer) Proxy.newProxyInstance(Sandboxer.class.getClassLoader(), new Class<?>[] {Sandboxer.class},
                new GatedInvocation(gate, wait, s -> s, "sandboxer " + gate.name()));
    }

    static TaskService tasks(SandboxerGate gate, Duration wait, String sandboxId) {
        return (TaskService) Proxy.newProxyInstance(TaskService.class.getClassLoader(),
                new Class<?>[] {TaskService.class},
                new GatedInvocation(gate, wait, s -> inProcess(s.tasks(sandboxId), gate.name(), sandboxId),
                        "tasks of sandbox " + sandboxId + " on " + gate.name()));
    }

    private static TaskService inProcess(TaskEndpoint endpoint, String name, String sandboxId) {
        if (endpoint instanceof TaskEndpoint.InProcess local) {
            return local.service();
        }
        throw new SandboxException(Reason.UNIMPLEMENTED, "sandbox " + sandboxId + " of " + name
                + " serves its tasks at " + endpoint + "; open a ttrpc client for it instead");
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        if (method.getDeclaringClass() == Object.class) {
            return switch (method.getName()) {
                case "toString" -> "gated " + description;
                case "hashCode" -> System.identityHashCode(proxy);
                case "equals" -> proxy == args[0];
                default -> throw new UnsupportedOperationException(method.getName());
            };
        }
        Sandboxer instance = gate.acquire(wait);
        try {
            return method.invoke(target.apply(instance), args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        } finally {
            gate.release(instance);
        }
    }
}
