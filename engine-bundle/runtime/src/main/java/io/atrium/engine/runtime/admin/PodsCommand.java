package io.atrium.engine.runtime.admin;

import io.atrium.engine.runtime.RuntimeEngine;
import io.atrium.host.spi.AdminCommand;
import java.util.List;
import java.util.function.Consumer;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** {@code atrium pods}: one row per pod sandbox. */
@Component(service = AdminCommand.class, property = AdminCommand.NAME_PROPERTY + "=pods")
public final class PodsCommand implements AdminCommand {
    private final RuntimeEngine engine;

    @Activate
    public PodsCommand(@Reference RuntimeEngine engine) {
        this.engine = engine;
    }

    @Override
    public Object execute(List<String> args, Consumer<String> progress) {
        if (!args.isEmpty()) {
            throw new IllegalArgumentException("usage: atrium pods");
        }
        return engine.podRows();
    }
}
