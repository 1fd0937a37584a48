package dev.kvstore.store;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The change feed's history: the events of the most recent revisions, in revision order, within a retention budget
 * counted in {@link ChangeEvent#weigh weight} (about the heap they take, never less than their frames). The oldest
 * events go once the budget is exceeded, which moves the <i>floor</i>: every event after it is held, so a read can
 * start at {@code floor + 1}.
 *
 * <p>Filled in three ways: by recovery's replay ({@link HistoryReplay}), which derives the events of the log's last
 * frames; by the apply step, after each group is durable and applied to the index ({@link #publish}; a cluster
 * replica's {@link ReplicaStore#apply} too, with no log offsets but with each event's frame, and at each snapshot it
 * loads it takes the history written beside it, {@link #adopt}, or starts after it, {@link #restartAfterSnapshot});
 * and compaction
 * reads it to keep the history in the new log ({@link #pin}, {@link #priors}, {@link #rebase}; see
 * {@link Compactor}). Each event remembers where its frame lies in the log, in coordinates that a compaction shifts
 * in one step when it moves the frames to a new file.
 *
 * <p>Readers never wait for the writer longer than a short lock, and the writer never waits for readers: it appends
 * and signals; callbacks of waiting readers run on the feed's own thread ({@link #onRevision}).
 */
final class History implements ChangeFeed, AutoCloseable {

    /** The usual cause of the floor: the oldest events went to keep the history within its budget. */
    static final String RETENTION = "kv.history.retention";

    /** Cancelled waiters that bring a sweep of the queue when nothing is written (see {@link #cancelledWaiter}). */
    static final int SWEEP_CANCELLED = 256;

    private final long retention;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    /** The events, oldest first, in a circular buffer from {@code first}. */
    private ChangeEvent[] ring = new ChangeEvent[64];
    private int first;
    private int size;
    private long weight;
    /** Every event after this revision is held. */
    private volatile long floor;
    /** The last revision published. */
    private volatile long head;
    /** Why nothing before the floor is held, as the 410 answer and health say it. */
    private volatile String floorCause = RETENTION;
    /** The end of the log's last published frame, in history coordinates; see {@link #shift}. */
    private long end;
    /** A log offset is an event's offset plus this; compaction changes it when it moves the frames. */
    private long shift;
    /** Compactions and snapshots copying the history: nothing is dropped meanwhile. */
    private int pins;
    /** {@link #logBytes()}, kept up to date by whoever changes the events, so that reading it takes no lock. */
    private volatile long logBytes;

    private final ConcurrentLinkedQueue<Waiter> waiters = new ConcurrentLinkedQueue<>();
    /** Waiters cancelled since the feed's thread last swept the queue for lack of writes. */
    private final AtomicInteger cancelled = new AtomicInteger();
    private final Thread notifier;
    private volatile boolean due;
    private volatile boolean closed;

    History(long retention) {
        if (retention < 1) {
            throw new IllegalArgumentException("the history's retention must be positive");
        }
        this.retention = retention;
        this.notifier = new Thread(this::notifyWaiters, "kv-change-feed");
        notifier.setDaemon(true);
    }

    /** Starts the thread that runs the callbacks of waiting readers; after replay. */
    void start() {
        notifier.start();
    }

    // ---- replay (one thread, before anyone reads) ----

    /** Forgets every event: the history starts after {@code floor}. */
    void restartAt(long floor) {
        Arrays.fill(ring, null);
        first = 0;
        size = 0;
        weight = 0;
        this.floor = floor;
        this.head = Math.max(head, floor);
        logBytes = 0;
    }

    /**
     * The state was replaced by a snapshot at {@code revision} (a replica's {@link ReplicaStore#loadSnapshot}): every
     * event goes and the history starts after it, so a read from before it is told it was compacted rather than
     * given a gap. Waiting readers are woken to find out.
     */
    void restartAfterSnapshot(long revision, String cause) {
        lock.writeLock().lock();
        try {
            restartAt(revision);
            head = revision;
            floorCause = cause;
        } finally {
            lock.writeLock().unlock();
        }
        signal();
    }

    /**
     * The state was replaced by a snapshot whose history {@code restored} holds (a replica's
     * {@link ReplicaStore#loadSnapshot} with the history written beside it): this history takes its events, floor and
     * revision, within this history's own retention, and waiting readers are woken.
     */
    void adopt(History restored, String cause) {
        lock.writeLock().lock();
        try {
            restartAt(restored.floor);
            for (int i = 0; i < restored.size; i++) {
                append(restored.at(i));
            }
            if (floor == restored.floor) {
                floorCause = cause;
            }
            head = restored.head;
        } finally {
            lock.writeLock().unlock();
        }
        signal();
    }

    /** The floor and the events after it, as one copy; a replica writes them beside its snapshot. */
    record Window(long floor, long head, ChangeEvent[] events) {
    }

    Window window() {
        lock.readLock().lock();
        try {
            ChangeEvent[] copy = new ChangeEvent[size];
            for (int i = 0; i < size; i++) {
                copy[i] = at(i);
            }
            return new Window(floor, head, copy);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Appends an event that replay derived. */
    void replayed(ChangeEvent e) {
        append(e);
    }

    /** Replay ended: the last revision is {@code revision}, and the log's frames end at {@code logEnd}. */
    void replayEnded(long revision, long logEnd) {
        head = Math.max(head, revision);
        end = logEnd;
        updateLogBytes();
    }

    // ---- the apply step ----

    /**
     * Publishes the changes of {@code decisions}, durable and applied to the index, in log order. Their frames end at
     * {@code logEnd} in the log, one after another, or {@code logEnd} is -1 when they are in no local log.
     */
    void publish(List<Decision> decisions, long logEnd) {
        List<ChangeEvent> events = new ArrayList<>(decisions.size());
        long at = logEnd;
        long last = 0;
        for (int i = decisions.size() - 1; i >= 0; i--) {
            Decision d = decisions.get(i);
            int frameBytes = d.frame() == null ? 0 : d.frame().length;
            at = logEnd < 0 ? -1 : at - frameBytes;
            last = Math.max(last, d.revision());
            if (!d.changes().isEmpty()) {
                // An event in no local log keeps its frame: a replica's snapshot writes it (see ChangeEvent.frame).
                events.add(new ChangeEvent(d.revision(), d.changes(), at, ChangeEvent.weigh(d.changes(), frameBytes),
                        logEnd < 0 ? d.frame() : null));
            }
        }
        lock.writeLock().lock();
        try {
            for (int i = events.size() - 1; i >= 0; i--) {
                ChangeEvent e = events.get(i);
                append(e.offset < 0 ? e : new ChangeEvent(e.revision(), e.changes(), e.offset - shift, e.weight));
            }
            head = Math.max(head, last);
            if (logEnd >= 0) {
                end = logEnd - shift;
            }
            updateLogBytes();
        } finally {
            lock.writeLock().unlock();
        }
        if (!waiters.isEmpty()) {
            signal();
        }
    }

    private void append(ChangeEvent e) {
        if (size == ring.length) {
            ChangeEvent[] bigger = new ChangeEvent[ring.length * 2];
            for (int i = 0; i < size; i++) {
                bigger[i] = ring[(first + i) % ring.length];
            }
            ring = bigger;
            first = 0;
        }
        ring[(first + size) % ring.length] = e;
        size++;
        weight += e.weight;
        trim();
    }

    /** Drops the oldest events while the budget is exceeded, unless a copy of the history is being made. */
    private void trim() {
        while (pins == 0 && size > 0 && weight > retention) {
            ChangeEvent oldest = ring[first];
            ring[first] = null;
            first = (first + 1) % ring.length;
            size--;
            weight -= oldest.weight;
            floor = oldest.revision();
            floorCause = RETENTION;
        }
        updateLogBytes();
    }

    private ChangeEvent at(int i) {
        return ring[(first + i) % ring.length];
    }

    /** The position of the first event with a revision of at least {@code revision}, or {@code size}. */
    private int search(long revision) {
        int lo = 0;
        int hi = size;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (at(mid).revision() < revision) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    // ---- readers ----

    @Override
    public long compactRevision() {
        return floor + 1;
    }

    @Override
    public long revision() {
        return head;
    }

    @Override
    public String floorCause() {
        return floorCause;
    }

    @Override
    public Read read(long from, String prefix, int maxEvents, long maxBytes) {
        if (maxEvents < 1) {
            throw new IllegalArgumentException("maxEvents must be positive");
        }
        lock.readLock().lock();
        try {
            if (from <= floor) {
                throw new HistoryCompactedException(from, floor + 1, floorCause);
            }
            List<ChangeEvent> out = new ArrayList<>();
            long bytes = 0;
            for (int i = search(from); i < size; i++) {
                ChangeEvent e = at(i);
                if (out.size() == maxEvents || (!out.isEmpty() && bytes >= maxBytes)) {
                    return new Read(out, e.revision());
                }
                ChangeEvent under = e.under(prefix);
                if (under != null) {
                    out.add(under);
                    bytes += e.weight;
                }
            }
            return new Read(out, Math.max(from, head + 1));
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Readers waiting, and cancelled ones the feed's thread has not swept out yet. */
    int waiting() {
        return waiters.size();
    }

    @Override
    public Subscription onRevision(long from, Runnable callback) {
        return onChange(from, "", callback);
    }

    @Override
    public Subscription onChange(long from, String prefix, Runnable callback) {
        Waiter w = new Waiter(from, prefix, callback);
        waiters.add(w);
        if (closed && !notifier.isAlive()) {
            // The feed's thread has ended: nobody else will run it.
            waiters.remove(w);
            w.fire();
        } else if (head >= from || closed) {
            signal();
        }
        return w;
    }

    @Override
    public boolean closed() {
        return closed;
    }

    @Override
    public Stats stats() {
        lock.readLock().lock();
        try {
            return new Stats(floor + 1, head, size, weight, retention, logBytes, floorCause);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The bytes of the log from the first held event's frame to the end: what a compaction copies as it is. */
    long logBytes() {
        return logBytes;
    }

    private void updateLogBytes() {
        logBytes = size == 0 || at(0).offset < 0 ? 0 : Math.max(0, end - at(0).offset);
    }

    // ---- compaction ----

    /**
     * Where a copy of the history starts: every change after {@code floor} has its frame in the log from
     * {@code logOffset} on, one after another. Until {@link #unpin}, nothing is dropped.
     */
    record Pin(long floor, long logOffset) {
    }

    /** Pins the whole history: a compaction keeps all of it. */
    Pin pinAll() {
        lock.writeLock().lock();
        try {
            pins++;
            long logical = size == 0 || at(0).offset < 0 ? end : at(0).offset;
            return new Pin(floor, logical + shift);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Pins the history from its last revision on: a snapshot keeps only what is published while it copies. */
    Pin pinLatest() {
        lock.writeLock().lock();
        try {
            pins++;
            return new Pin(head, end + shift);
        } finally {
            lock.writeLock().unlock();
        }
    }

    void unpin() {
        lock.writeLock().lock();
        try {
            pins--;
            trim();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * The frames a pinned history started at log offset {@code from} now start at {@code to}, in a new log: the
     * offsets of every event move with them. Called where nothing is published meanwhile.
     */
    void rebase(long from, long to) {
        lock.writeLock().lock();
        try {
            shift += to - from;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Waits up to {@code timeoutNanos} until revision {@code revision} is published; returns whether it is. */
    boolean awaitPublished(long revision, long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        while (head < revision && !closed) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            // The writer publishes right after it applies to the index: this takes microseconds.
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(50));
        }
        return head >= revision;
    }

    /**
     * For each key that changed after {@code floor} up to {@code upTo}, its entry at {@code floor} ({@code null}:
     * it had none), as a change from that entry to nothing, in key order. Needs the history pinned at or before
     * {@code floor}.
     */
    List<Change> priors(long floor, long upTo) {
        ChangeEvent[] copy;
        lock.readLock().lock();
        try {
            if (floor < this.floor) {
                throw new IllegalStateException("the history is not pinned at " + floor);
            }
            int from = search(floor + 1);
            int to = search(upTo + 1);
            copy = new ChangeEvent[to - from];
            for (int i = from; i < to; i++) {
                copy[i - from] = at(i);
            }
        } finally {
            lock.readLock().unlock();
        }
        return priorsOf(copy);
    }

    /**
     * The frame that sets {@code prior}'s key back to its entry at the floor: that entry as the index stores it
     * (compressed, with its lease if it had one), or a DELETE at the floor when it had none.
     */
    static byte[] priorFrame(byte magic, Change prior, long floor) {
        Entry e = prior.previous();
        byte[] key = Utf8.encode(prior.key());
        return e != null ? e.encodeStored(magic, key) : Frame.encodeDeleteV2(magic, key, Math.max(floor, 1));
    }

    /** For each key that {@code events} change, its entry before the first of them, as in {@link #priors}. */
    static List<Change> priorsOf(ChangeEvent[] events) {
        Map<String, Change> firsts = new TreeMap<>(KeyOrder.CODE_POINTS);
        for (ChangeEvent e : events) {
            for (Change c : e.changes()) {
                firsts.putIfAbsent(c.key(), new Change(c.key(), c.previous(), null));
            }
        }
        return new ArrayList<>(firsts.values());
    }

    // ---- waiting readers ----

    private final class Waiter implements Subscription {
        /** The first revision it waits for; moved on by the feed's thread past revisions without its prefix. */
        volatile long from;
        final String prefix;
        /** Dropped once it ran or was cancelled: a waiter left in the queue holds nothing of its reader. */
        volatile Runnable callback;
        final AtomicBoolean done = new AtomicBoolean();

        Waiter(long from, String prefix, Runnable callback) {
            this.from = from;
            this.prefix = prefix;
            this.callback = callback;
        }

        @Override
        public long from() {
            return from;
        }

        @Override
        public void cancel() {
            if (done.compareAndSet(false, true)) {
                callback = null;
                cancelledWaiter();
            }
        }

        boolean cancelled() {
            return done.get();
        }

        /** Runs the callback unless it ran or was cancelled. */
        void fire() {
            if (done.compareAndSet(false, true)) {
                Runnable c = callback;
                callback = null;
                try {
                    c.run();
                } catch (RuntimeException e) {
                    // a reader's own failure; the others still get theirs
                }
            }
        }
    }

    /**
     * A waiter was cancelled: the feed's thread takes it out of the queue on its next pass, which a write brings;
     * without writes, every {@link #SWEEP_CANCELLED} cancellations bring one (a watcher cancels its wait for each
     * progress event it sends), so that the queue does not grow while nothing is written.
     */
    private void cancelledWaiter() {
        if (cancelled.incrementAndGet() >= SWEEP_CANCELLED) {
            cancelled.set(0);
            signal();
        }
    }

    /**
     * Whether an event from {@code from} to {@code to} has a change under {@code prefix}; also true when events from
     * {@code from} on are no longer held, so that the reader finds out.
     */
    private boolean changedUnder(String prefix, long from, long to) {
        lock.readLock().lock();
        try {
            if (from <= floor) {
                return true;
            }
            for (int i = search(from); i < size; i++) {
                ChangeEvent e = at(i);
                if (e.revision() > to) {
                    return false;
                }
                for (Change c : e.changes()) {
                    if (c.key().startsWith(prefix)) {
                        return true;
                    }
                }
            }
            return false;
        } finally {
            lock.readLock().unlock();
        }
    }

    private void signal() {
        due = true;
        LockSupport.unpark(notifier);
    }

    /**
     * The keys changed by the revisions after {@code after} up to {@code upTo}, with their revisions, in revision
     * order; {@code null} when some of those revisions are no longer held.
     */
    private ChangedKeys changedKeys(long after, long upTo) {
        lock.readLock().lock();
        try {
            if (after < floor) {
                return null;
            }
            ChangedKeys out = new ChangedKeys();
            for (int i = search(after + 1); i < size; i++) {
                ChangeEvent e = at(i);
                if (e.revision() > upTo) {
                    break;
                }
                for (Change c : e.changes()) {
                    out.add(e.revision(), c.key());
                }
            }
            return out;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Keys and the revisions that changed them, in revision order. */
    private static final class ChangedKeys {
        private long[] revisions = new long[16];
        private String[] keys = new String[16];
        private int size;

        void add(long revision, String key) {
            if (size == keys.length) {
                revisions = Arrays.copyOf(revisions, size * 2);
                keys = Arrays.copyOf(keys, size * 2);
            }
            revisions[size] = revision;
            keys[size++] = key;
        }

        /** Whether a key under {@code prefix} changed at revision {@code from} or later. */
        boolean under(String prefix, long from) {
            for (int i = size - 1; i >= 0 && revisions[i] >= from; i--) {
                if (keys[i].startsWith(prefix)) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * The feed's thread: runs the callbacks of readers whose revision has come, then waits for the next signal. Each
     * pass reads the keys changed since the previous pass once, under one short lock, and matches every waiter
     * against them: a waiter that was checked up to the previous pass (all of them, but those that began waiting
     * from an older revision since) costs a few string comparisons, not a search of the history of its own.
     */
    private void notifyWaiters() {
        long checked = head;
        while (true) {
            due = false;
            long h = head;
            boolean ending = closed;
            ChangedKeys recent = h > checked ? changedKeys(checked, h) : new ChangedKeys();
            for (var it = waiters.iterator(); it.hasNext(); ) {
                Waiter w = it.next();
                long from = w.from;
                if (w.cancelled()) {
                    it.remove();
                } else if (ending || from <= h && changed(w.prefix, from, checked, h, recent)) {
                    it.remove();
                    w.fire();
                } else if (from <= h) {
                    // Nothing under its prefix yet: it goes on waiting, from the next revision.
                    w.from = h + 1;
                }
            }
            checked = h;
            if (ending) {
                return;
            }
            if (!due) {
                LockSupport.park(this);
            }
        }
    }

    /**
     * Whether revisions {@code from} to {@code h} changed a key under {@code prefix}; {@code recent} holds the keys
     * of those after {@code checked}, or is {@code null} when they are no longer all held.
     */
    private boolean changed(String prefix, long from, long checked, long h, ChangedKeys recent) {
        if (prefix.isEmpty()) {
            return true;
        }
        if (from > checked && recent != null) {
            return recent.under(prefix, from);
        }
        return changedUnder(prefix, from, h);
    }

    /** Nothing more will be published: every waiting reader is called once more, and then the thread ends. */
    @Override
    public void close() {
        closed = true;
        signal();
        if (notifier.isAlive() && Thread.currentThread() != notifier) {
            Threads.joinUninterruptibly(notifier);
        }
    }
}
