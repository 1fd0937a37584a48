package dev.kvstore.store;

/**
 * The file system lacks the room to write a second copy of the live data next to the log, so a compaction or a
 * snapshot was not started. Nothing was changed.
 */
public final class InsufficientSpaceException extends RuntimeException {

    private final long needed;
    private final long usable;

    public InsufficientSpaceException(String what, long needed, long usable) {
        super(String.format("%s needs %d bytes free on the data directory's file system (the live data, 10%% for"
                + " writes meanwhile, and a %d MiB reserve) but only %d are; free some space first", what, needed,
                Compactor.HEADROOM_RESERVE >> 20, usable), null, false, false);
        this.needed = needed;
        this.usable = usable;
    }

    public long needed() {
        return needed;
    }

    public long usable() {
        return usable;
    }
}
