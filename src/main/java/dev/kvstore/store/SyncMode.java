package dev.kvstore.store;

/** When the log is forced to stable storage, and therefore what a crash can lose. */
public enum SyncMode {
    /** A write is acknowledged only after {@code FileChannel.force} covered its frame: a crash loses nothing acknowledged. */
    ALWAYS,
    /** Forced every sync interval: a power cut can lose up to one interval of acknowledged writes. */
    INTERVAL,
    /** Never forced by the store, only by the OS: a power cut can lose whatever the OS had not written back. */
    NONE
}
