/** Dispatch from runtime handlers to sandboxer services, gated across bundle swaps. */
package io.atrium.engine.sandboxers;
