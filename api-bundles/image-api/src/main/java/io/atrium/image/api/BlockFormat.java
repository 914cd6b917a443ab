package io.atrium.image.api;

/** Filesystem formats a snapshot can be exported as for microVMs. */
public enum BlockFormat { EXT4, EROFS }
