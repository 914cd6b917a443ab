package io.atrium.engine.runtime.admin;

import io.atrium.engine.runtime.RuntimeEngine;
import io.atrium.host.spi.AdminCommand;
import java.util.List;
import java.util.function.Consumer;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** {@code atrium ps}: one row per container. */
@Component(service = AdminCommand.class, property = AdminCommand.NAME_PROPERTY + "=ps")
public final class PsCommand implements AdminCommand {
    private final RuntimeEngine engine;

    @Activate
    public PsCommand(@Reference RuntimeEngine engine) {
        this.engine = engine;
    }

    @Override
    public Object execute(List<String> args, Consumer<String> progress) {
        if (!args.isEmpty()) {
            throw new IllegalArgumentException("usage: atrium ps");
        }
        return engine.containerRows();
    }
}
