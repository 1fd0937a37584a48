package dev.kvstore.store;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Recovery's one replay path, seen by the change feed: the frames go to the state's {@link KeyIndex.Builder}, and the
 * frames that are exact changes also become events of the {@link History}, each change with the entry the builder
 * held before it.
 *
 * <p>Which frames are exact changes:
 * <ul>
 *   <li>a log that starts with changes (a new log, or one written from empty): all of them, from revision 0;</li>
 *   <li>a compacted log or a snapshot starts with the state it copied, which is not a sequence of changes: only
 *       the frames after its HISTORY frame, which says the state before it is exactly that at its revision; one
 *       compacted before the store wrote HISTORY frames has none, and its history starts where the log ends;</li>
 *   <li>frames of the seed format carry no revision and are never copied by a compaction as they are: the history
 *       starts after the last of them.</li>
 * </ul>
 * Only the frames in the last {@code retention} bytes of the log become events: events weigh at least their frames,
 * so the history holds no older ones anyway. The frames before that window go the builder's fast way, in runs on its
 * own thread, with only their headers read here; from the window on, once the builder's thread is done, each frame
 * is applied on the scanning thread through {@link Frame#visit}, with the entries of the keys it changes read before
 * and after. A change's {@link Change.Op} is that of the frame: a SET (or SET_LEASED) is a put, a DELETE a delete,
 * and a LEASE_REVOKE deletes every key attached to the lease, as {@link Change.Op#EXPIRE} when the lease expired and
 * {@link Change.Op#DELETE} when it was revoked. Grants and idempotency records change no key.
 */
final class HistoryReplay implements LogScanner.FrameRuns {

    private final KeyIndex.Builder builder;
    private final History history;
    private final long windowStart;
    /** Whether events keep their frames, in no local log: a replica's history read back ({@link #ofReplica}). */
    private final boolean keepFrames;
    private boolean started;
    /** Whether the frames so far, from the history's floor on, are exact changes. */
    private boolean exact = true;
    /** Before the window: the history's floor so far, or -1 when it is the builder's counter (after a seed frame). */
    private long floor;
    /** Whether the frames are now applied here, one by one (the window has begun). */
    private boolean inWindow;

    HistoryReplay(KeyIndex.Builder builder, History history, long logSize, long retention) {
        this(builder, history, logSize, retention, false);
    }

    private HistoryReplay(KeyIndex.Builder builder, History history, long logSize, long retention,
                          boolean keepFrames) {
        this.builder = builder;
        this.history = history;
        this.windowStart = logSize - retention;
        this.keepFrames = keepFrames;
        history.restartAt(0);
    }

    /**
     * The replay of a replica's history file ({@link ReplicaStore#writeHistory}): its events are in no local log,
     * and keep their frames for the replica's next snapshot.
     */
    static HistoryReplay ofReplica(KeyIndex.Builder builder, History history, long fileSize, long retention) {
        return new HistoryReplay(builder, history, fileSize, retention, true);
    }

    @Override
    public byte[] frames(byte[] buf, int from, int to, long offset, int count) {
        int at = from;
        if (!inWindow) {
            // Headers only, up to the window: the builder applies these frames on its own thread.
            while (at < to && offset + (at - from) < windowStart) {
                before(buf, at);
                at += length(buf, at);
            }
            if (at == to) {
                return builder.frames(buf, from, to, offset, count);
            }
            // The rest of the run lies in the window: keep it, since the buffer goes to the builder's thread.
            byte[] rest = Arrays.copyOfRange(buf, at, to);
            long restOffset = offset + (at - from);
            byte[] next = at > from ? builder.frames(buf, from, at, offset, countFrames(buf, from, at)) : buf;
            enterWindow();
            apply(rest, 0, rest.length, restOffset);
            return next;
        }
        apply(buf, from, to, offset);
        return buf;
    }

    @Override
    public void expect(long bytes) {
        builder.expect(bytes);
    }

    @Override
    public void end() {
        builder.end();
    }

    /** A frame before the window: what it says of where the history starts. */
    private void before(byte[] buf, int at) {
        boolean atStart = !started;
        started = true;
        byte version = buf[at + Frame.VERSION_OFFSET];
        byte op = buf[at + Frame.OP_OFFSET];
        if (version != Frame.VERSION_REVISIONS) {
            if (exact) {
                floor = -1;
            }
        } else if (op == Frame.OP_HISTORY) {
            exact = true;
            floor = Frame.revision(buf, at);
        } else if (op == Frame.OP_REVISION) {
            // Only a compacted log or a snapshot starts with one: what follows is a state, not changes.
            exact = exact && !atStart;
        } else if (exact) {
            floor = Frame.revision(buf, at);
        }
    }

    /** The window begins: the builder's thread is done, and the history starts after the frames before it. */
    private void enterWindow() {
        inWindow = true;
        builder.end();
        if (exact && started) {
            history.restartAt(floor < 0 ? builder.revision() : floor);
        }
    }

    private void apply(byte[] buf, int from, int to, long offset) {
        if (!inWindow) {
            enterWindow();
        }
        for (int at = from; at < to; ) {
            int length = length(buf, at);
            frame(buf, at, offset + (at - from), length);
            at += length;
        }
    }

    /** A frame in the window, applied here. */
    private void frame(byte[] buf, int at, long offset, int length) {
        boolean atStart = !started;
        started = true;
        byte version = buf[at + Frame.VERSION_OFFSET];
        byte op = buf[at + Frame.OP_OFFSET];
        if (version == Frame.VERSION_REVISIONS && op == Frame.OP_HISTORY) {
            Frame.visit(buf, at, builder);
            exact = true;
            history.restartAt(Frame.revision(buf, at));
        } else if (version == Frame.VERSION_REVISIONS && op == Frame.OP_REVISION) {
            Frame.visit(buf, at, builder);
            exact = exact && !atStart;
        } else if (!exact) {
            Frame.visit(buf, at, builder);
        } else if (version != Frame.VERSION_REVISIONS) {
            Frame.visit(buf, at, builder);
            history.restartAt(builder.revision());
        } else {
            derive(buf, at, offset, length);
        }
    }

    /**
     * Whether the log ends in history: false for a log compacted before the store wrote HISTORY frames, which
     * starts with a state and has none. The store then appends one at open, so that what it writes next is history
     * after a restart too.
     */
    boolean endsInHistory() {
        return exact;
    }

    /** Replay ended, and the log ends at {@code logEnd}: the history holds what it derived, or starts here. */
    void finish(long logEnd) {
        builder.end();
        if (!inWindow && exact && started) {
            // Every frame lay before the window: the history starts where the log ends.
            history.restartAt(floor < 0 ? builder.revision() : floor);
        }
        if (!exact) {
            history.restartAt(builder.revision());
        }
        history.replayEnded(builder.revision(), logEnd);
    }

    /** Applies a change frame to the builder and appends its event, with the entries before and after. */
    private void derive(byte[] buf, int at, long offset, int length) {
        Touched touched = new Touched();
        Frame.visit(buf, at, touched);
        List<Entry> before = new ArrayList<>(touched.keys.size());
        for (byte[] k : touched.keys) {
            before.add(builder.entry(k));
        }
        Frame.visit(buf, at, builder);
        List<Change> changes = new ArrayList<>(touched.keys.size());
        for (int i = 0; i < touched.keys.size(); i++) {
            byte[] k = touched.keys.get(i);
            Entry was = before.get(i);
            Change.Op op = touched.ops.get(i);
            if (op == null) {
                Entry after = builder.entry(k);
                if (was != null || after != null) {
                    changes.add(new Change(new String(k, StandardCharsets.UTF_8), was, after));
                }
            } else if (was != null) {
                // Deleted by the end of its lease.
                changes.add(new Change(new String(k, StandardCharsets.UTF_8), was, null, op));
            }
        }
        if (!changes.isEmpty()) {
            history.replayed(keepFrames
                    ? new ChangeEvent(Frame.revision(buf, at), changes, -1, ChangeEvent.weigh(changes, length),
                            Arrays.copyOfRange(buf, at, at + length))
                    : new ChangeEvent(Frame.revision(buf, at), changes, offset, ChangeEvent.weigh(changes, length)));
        }
    }

    /**
     * The keys a frame changes, in its order: each SET and DELETE (its op follows from the entry after it), and
     * each key attached to a lease the frame ends, which the builder knows before it applies the frame.
     */
    private final class Touched implements Frame.Ops {
        final List<byte[]> keys = new ArrayList<>();
        /** {@code null}: a write's; else the op of a lease's end. */
        final List<Change.Op> ops = new ArrayList<>();

        @Override
        public void set(byte[] buf, int keyAt, int keyLen, byte encoding, int valueAt, int valueLen, long revision,
                        long createRevision, long lease) {
            keys.add(Arrays.copyOfRange(buf, keyAt, keyAt + keyLen));
            ops.add(null);
        }

        @Override
        public void delete(byte[] buf, int keyAt, int keyLen, long revision) {
            keys.add(Arrays.copyOfRange(buf, keyAt, keyAt + keyLen));
            ops.add(null);
        }

        @Override
        public void revision(long revision) {
        }

        @Override
        public void revoke(long lease, boolean expired, long revision) {
            for (String key : builder.attachedKeys(lease)) {
                keys.add(key.getBytes(StandardCharsets.UTF_8));
                ops.add(expired ? Change.Op.EXPIRE : Change.Op.DELETE);
            }
        }
    }

    private static int length(byte[] buf, int at) {
        return (int) (Frame.LENGTH_FIELD_BYTES + Frame.totalLength(buf, at));
    }

    private static int countFrames(byte[] buf, int from, int to) {
        int n = 0;
        for (int at = from; at < to; at += length(buf, at)) {
            n++;
        }
        return n;
    }
}
