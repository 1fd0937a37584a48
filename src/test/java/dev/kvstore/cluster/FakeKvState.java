package dev.kvstore.cluster;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * A deterministic stand-in for the store behind {@link ReplicatedState}: an in-memory sorted map of keys to values,
 * each with the revision that last wrote it, and one revision counter. Commands are put, delete and compare-and-set
 * (on the current value, absent included); a refused command is a result, not an exception.
 * <p>
 * Nothing is kept on disk but its snapshots, so after a restart it starts empty and Ratis refills it from the latest
 * snapshot and the log. {@link #failApplyOn} makes this replica's apply throw on one key, as a failed disk would.
 */
final class FakeKvState implements ReplicatedState {

    enum Op { PUT, DELETE, CAS }

    enum Status { OK, NOT_FOUND, CAS_FAILED, BAD_COMMAND }

    /** What a command or a read answered: the status, the revision it wrote or read, the value it read. */
    record Result(Status status, long revision, byte[] value) {
        String valueText() {
            return value == null ? null : new String(value, StandardCharsets.UTF_8);
        }
    }

    private record Versioned(byte[] value, long revision) {
    }

    private static final long SNAPSHOT_MAGIC = 0x4b56464b534e4150L; // "KVFKSNAP"

    private final TreeMap<String, Versioned> entries = new TreeMap<>();
    private long revision;
    private LogPosition applied = LogPosition.NONE;
    private volatile String failOnKey;

    // ---- commands and queries, as bytes

    static byte[] put(String key, String value) {
        return put(key, value.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] put(String key, byte[] value) {
        return encode(out -> {
            out.writeByte(Op.PUT.ordinal());
            out.writeUTF(key);
            writeBytes(out, value);
        });
    }

    static byte[] delete(String key) {
        return encode(out -> {
            out.writeByte(Op.DELETE.ordinal());
            out.writeUTF(key);
        });
    }

    /** Sets {@code key} to {@code value} if its current value is {@code expected} (null: if it is absent). */
    static byte[] compareAndSet(String key, String expected, String value) {
        return encode(out -> {
            out.writeByte(Op.CAS.ordinal());
            out.writeUTF(key);
            writeBytes(out, expected == null ? null : expected.getBytes(StandardCharsets.UTF_8));
            writeBytes(out, value.getBytes(StandardCharsets.UTF_8));
        });
    }

    static byte[] get(String key) {
        return key.getBytes(StandardCharsets.UTF_8);
    }

    static Result result(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            return new Result(Status.values()[in.readByte()], in.readLong(), readBytes(in));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- ReplicatedState

    @Override
    public synchronized List<byte[]> apply(LogPosition position, List<byte[]> commands) throws IOException {
        if (position.index() <= applied.index()) {
            throw new IllegalStateException("entry " + position + " arrived after " + applied);
        }
        final List<byte[]> results = new ArrayList<>(commands.size());
        for (byte[] command : commands) {
            results.add(applyOne(command));
        }
        applied = position;
        return results;
    }

    private byte[] applyOne(byte[] command) throws IOException {
        final Result result;
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(command))) {
            final int op = in.readByte();
            final String key = in.readUTF();
            if (key.equals(failOnKey)) {
                throw new IOException("simulated disk failure while applying " + key);
            }
            result = switch (Op.values()[op]) {
                case PUT -> write(key, readBytes(in));
                case DELETE -> entries.containsKey(key) ? write(key, null) : new Result(Status.NOT_FOUND, 0, null);
                case CAS -> compareAndSet(key, readBytes(in), readBytes(in));
            };
        } catch (EOFException | ArrayIndexOutOfBoundsException e) {
            return encode(new Result(Status.BAD_COMMAND, 0, null));
        }
        return encode(result);
    }

    private Result write(String key, byte[] value) {
        revision++;
        if (value == null) {
            entries.remove(key);
        } else {
            entries.put(key, new Versioned(value, revision));
        }
        return new Result(Status.OK, revision, null);
    }

    private Result compareAndSet(String key, byte[] expected, byte[] value) {
        final Versioned current = entries.get(key);
        final boolean matches = expected == null ? current == null
                : current != null && Arrays.equals(current.value(), expected);
        if (!matches) {
            return new Result(Status.CAS_FAILED, current == null ? 0 : current.revision(),
                    current == null ? null : current.value());
        }
        return write(key, value);
    }

    @Override
    public synchronized byte[] query(byte[] request) {
        final Versioned v = entries.get(new String(request, StandardCharsets.UTF_8));
        return encode(v == null ? new Result(Status.NOT_FOUND, 0, null) : new Result(Status.OK, v.revision(), v.value()));
    }

    @Override
    public synchronized LogPosition lastApplied() {
        return applied;
    }

    @Override
    public synchronized LogPosition writeSnapshot(Path target) throws IOException {
        final CRC32C crc = new CRC32C();
        try (OutputStream file = Files.newOutputStream(target);
             DataOutputStream out = new DataOutputStream(new CheckedOutputStream(new BufferedOutputStream(file), crc))) {
            out.writeLong(SNAPSHOT_MAGIC);
            out.writeLong(applied.term());
            out.writeLong(applied.index());
            out.writeLong(revision);
            out.writeInt(entries.size());
            for (Map.Entry<String, Versioned> e : entries.entrySet()) {
                out.writeUTF(e.getKey());
                out.writeLong(e.getValue().revision());
                writeBytes(out, e.getValue().value());
            }
            out.flush();
            new DataOutputStream(file).writeInt((int) crc.getValue());
        }
        return applied;
    }

    @Override
    public synchronized void loadSnapshot(Path source, LogPosition position) throws IOException {
        final CRC32C crc = new CRC32C();
        final TreeMap<String, Versioned> loaded = new TreeMap<>();
        final long loadedRevision;
        try (InputStream file = new BufferedInputStream(Files.newInputStream(source));
             DataInputStream in = new DataInputStream(new CheckedInputStream(file, crc))) {
            if (in.readLong() != SNAPSHOT_MAGIC) {
                throw new IOException(source + " is not a fake snapshot");
            }
            final LogPosition written = new LogPosition(in.readLong(), in.readLong());
            if (!written.equals(position)) {
                throw new IOException(source + " holds the state at " + written + ", not at " + position);
            }
            loadedRevision = in.readLong();
            for (int i = in.readInt(); i > 0; i--) {
                final String key = in.readUTF();
                final long rev = in.readLong();
                loaded.put(key, new Versioned(readBytes(in), rev));
            }
            final int expected = (int) crc.getValue();
            if (new DataInputStream(file).readInt() != expected || file.read() != -1) {
                throw new IOException(source + ": checksum mismatch or trailing bytes");
            }
        }
        entries.clear();
        entries.putAll(loaded);
        revision = loadedRevision;
        applied = position;
    }

    // ---- for tests

    /** Makes this replica's apply throw when it meets {@code key}, as a disk failure on this node only would. */
    void failApplyOn(String key) {
        failOnKey = key;
    }

    synchronized Result read(String key) {
        return result(query(get(key)));
    }

    /** The revision of the last write this replica applied. */
    synchronized long revision() {
        return revision;
    }

    synchronized int size() {
        return entries.size();
    }

    /** SHA-256 over the revision counter and every key, revision and value, in key order. */
    synchronized String digest() {
        try {
            final MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(Long.toString(revision).getBytes(StandardCharsets.US_ASCII));
            for (Map.Entry<String, Versioned> e : entries.entrySet()) {
                sha.update(e.getKey().getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
                sha.update(Long.toString(e.getValue().revision()).getBytes(StandardCharsets.US_ASCII));
                sha.update((byte) 0);
                sha.update(e.getValue().value());
                sha.update((byte) 0);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- encoding

    private interface Writer {
        void write(DataOutputStream out) throws IOException;
    }

    private static byte[] encode(Writer writer) {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            writer.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static byte[] encode(Result r) {
        return encode(out -> {
            out.writeByte(r.status().ordinal());
            out.writeLong(r.revision());
            writeBytes(out, r.value());
        });
    }

    private static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b == null ? -1 : b.length);
        if (b != null) {
            out.write(b);
        }
    }

    private static byte[] readBytes(DataInputStream in) throws IOException {
        final int n = in.readInt();
        if (n < 0) {
            return null;
        }
        final byte[] b = in.readNBytes(n);
        if (b.length != n) {
            throw new EOFException("value cut short");
        }
        return b;
    }
}
