package dev.kvstore.store;

/**
 * What a log holds and what recovery makes of it, found without changing anything: the one verdict on a log, which
 * the server's recovery ({@link RecoveryReport#diagnosis()}), the offline tool ({@link LogInspector.Report}) and a
 * restore all read. {@link LogRecovery} documents the rules.
 *
 * @param kind          what the first bad frame is, or {@code SOUND}
 * @param size          the log's size in bytes
 * @param validBytes    end of the last sound frame before it (the whole file when sound)
 * @param frames        sound frames before it
 * @param defect        what is wrong with the first bad frame, or {@code null}
 * @param reason        for {@code DAMAGE}: why it is not a crash trace; else {@code null}
 * @param nextFrame     offset of the first frame after it whose envelope is sound, or -1 when none was looked for
 *                      or found
 * @param mark          how the forced mark beside the log relates to it
 * @param forced        bytes the forced mark vouches for, or -1 without a mark that belongs to this log
 * @param sync          the sync mode that mark says the log is written under, or {@code null}
 * @param maxWrite      the most bytes one write call holds, from that mark, or -1
 * @param foreignOffset for {@code INCOMPATIBLE}: where the frame of another magic or version is, else -1
 * @param foundMagic    for {@code INCOMPATIBLE}: that frame's magic byte (0 to 255), else 0
 * @param foundVersion  for {@code INCOMPATIBLE}: that frame's version byte (0 to 255), else 0
 */
public record Diagnosis(Kind kind, long size, long validBytes, long frames, FrameDefect defect,
                        LogCorruptedException.Reason reason, long nextFrame, Mark mark, long forced, SyncMode sync,
                        long maxWrite, long foreignOffset, int foundMagic, int foundVersion) {

    /** What the first bad frame of a log is, and so what the server does on start. */
    public enum Kind {
        /** No bad frame: nothing changes. */
        SOUND,
        /** A torn write at the end, the trace of a crash during a write: cut on start. */
        TORN_TAIL,
        /** A lost write with later, never-forced writes after it, the trace of a power cut: cut on start. */
        LOST_WRITE,
        /** Damage that no crash leaves: the server refuses to start, unless told to repair. */
        DAMAGE,
        /** A frame of another magic or version: the server refuses to start. */
        INCOMPATIBLE
    }

    /** The forced mark beside the log, as recovery found it. */
    public enum Mark {
        /** There was none (a new store, or a log placed by hand), or it was not intact. */
        NONE,
        /** It belongs to the log: its first {@code forced} bytes were forced. */
        MATCHED,
        /** It describes another log (placed here by hand, or the other side of a compaction's switch): ignored. */
        OTHER_LOG,
        /** It belongs to the log, which is shorter than what was forced: forced data is missing. */
        PAST_END
    }

    /** Bytes from the first bad frame to the end: what recovery cuts, if it cuts. */
    public long badBytes() {
        return size - validBytes;
    }
}
