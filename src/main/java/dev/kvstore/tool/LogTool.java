package dev.kvstore.tool;

import dev.kvstore.store.DataDirectoryLockedException;
import dev.kvstore.store.Diagnosis;
import dev.kvstore.store.FrameDefect;
import dev.kvstore.store.LogInspector;
import dev.kvstore.store.StoreOptions;
import dev.kvstore.store.SyncMode;
import dev.kvstore.store.Value;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringWriter;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.springframework.util.unit.DataSize;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.json.JsonFactory;

/**
 * The offline tool, run from the service's jar without starting the service, like {@code redis-check-aof}:
 * <pre>
 * java -jar kv-store.jar verify &lt;log&gt; [options]             report frames, keys, valid prefix, first bad offset
 * java -jar kv-store.jar dump &lt;log&gt; [options]               one JSON line per frame
 * java -jar kv-store.jar repair &lt;log&gt; [--dry-run] [options] keep the original aside, cut to the valid prefix
 * options: --magic --max-key-bytes --max-value-size --max-batch-size (as kv.wal.magic, kv.limits.* and
 * kv.batch.max-size; the defaults are the store's, {@link StoreOptions})
 * </pre>
 * Exit status: 0 sound (or repaired), 1 a crash trace the server cuts on start, 2 damage the server refuses,
 * 3 a log of another magic or version, 64 bad usage, 74 an I/O error, 75 {@code repair} refused because a server
 * has the data directory open. {@code verify} and {@code dump} only read (a read-only mount will do) and take no
 * lock, so they also inspect the log of a running server. The frames and the recovery rules it applies are those of
 * docs/format.md.
 */
public final class LogTool {

    static final int SOUND = 0;
    static final int CRASH_TRACE = 1;
    static final int DAMAGE = 2;
    static final int INCOMPATIBLE = 3;
    static final int USAGE = 64;
    static final int IO_ERROR = 74;
    static final int LOCKED = 75;

    private static final Set<String> COMMANDS = Set.of("verify", "dump", "repair");
    private static final JsonFactory JSON = JsonFactory.builder().build();

    private final PrintStream out;
    private final PrintStream err;

    LogTool(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** Whether {@code args} ask for the tool rather than the service. */
    public static boolean isCommand(String[] args) {
        return args.length > 0 && COMMANDS.contains(args[0]);
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        return new LogTool(out, err).run(args);
    }

    int run(String[] args) {
        Args a;
        try {
            a = Args.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("kv-store: " + e.getMessage());
            err.println(usage());
            return USAGE;
        }
        try {
            return switch (a.command()) {
                case "verify" -> verify(a);
                case "dump" -> dump(a);
                default -> repair(a);
            };
        } catch (NoSuchFileException e) {
            err.println("kv-store: no such file: " + e.getFile());
            return IO_ERROR;
        } catch (DataDirectoryLockedException e) {
            err.println("kv-store: " + e.getMessage() + ". Stop the server first; `verify` and `dump` work while it"
                    + " runs.");
            return LOCKED;
        } catch (IOException e) {
            err.println("kv-store: " + e);
            return IO_ERROR;
        }
    }

    private int verify(Args a) throws IOException {
        LogInspector.Report report = a.inspector().verify(a.log());
        Diagnosis r = report.diagnosis();
        out.printf("log:           %s%n", report.log());
        out.printf("size:          %d bytes%n", r.size());
        out.printf("frames:        %d sound%n", r.frames());
        out.printf("keys:          %d live%n", report.liveKeys());
        out.printf("valid prefix:  %d bytes%n", r.validBytes());
        out.printf("forced mark:   %s%n", mark(r));
        out.printf("status:        %s%n", status(r));
        if (r.kind() != Diagnosis.Kind.SOUND) {
            out.printf("first bad:     offset %d: %s%n", r.validBytes(), describe(r.defect()));
            if (r.nextFrame() >= 0) {
                out.printf("next frame:    offset %d checks out%n", r.nextFrame());
            }
            out.printf("verdict:       %s%n", verdict(r));
        }
        return exitCode(r);
    }

    private int dump(Args a) throws IOException {
        Diagnosis r = a.inspector().dump(a.log(), f -> out.println(json(f))).diagnosis();
        if (r.kind() != Diagnosis.Kind.SOUND) {
            out.println(json(r));
        }
        return exitCode(r);
    }

    private int repair(Args a) throws IOException {
        LogInspector.Repair repair = a.inspector().repair(a.log(), a.dryRun());
        Path log = repair.before().log();
        Diagnosis r = repair.before().diagnosis();
        if (r.kind() == Diagnosis.Kind.SOUND) {
            out.printf("%s is sound (%d frames, %d bytes): nothing to repair.%n", log, r.frames(), r.size());
            return SOUND;
        }
        if (r.kind() == Diagnosis.Kind.INCOMPATIBLE) {
            out.printf("%s is not damaged but incompatible: %s. Not repaired; use the matching --magic (versions"
                    + " 0x01 and 0x02 are read).%n", log, status(r));
            return INCOMPATIBLE;
        }
        out.printf("%s: %s at offset %d (%s).%n", log, status(r), r.validBytes(), describe(r.defect()));
        out.printf("%s %d bytes, from offset %d to the end (%d), keeping the %d sound frames before it.%n",
                a.dryRun() ? "Would drop" : "Dropped", repair.bytesDropped(), r.validBytes(), r.size(), r.frames());
        out.printf("Frames that check out in the dropped part: %d%n", repair.droppedFrames().size());
        for (LogInspector.FrameInfo f : repair.droppedFrames()) {
            out.println("  " + json(f));
        }
        if (a.dryRun()) {
            out.println("Dry run: nothing was changed.");
        } else {
            out.printf("The original is kept at %s.%n", repair.original());
        }
        return SOUND;
    }

    private static String mark(Diagnosis r) {
        return switch (r.mark()) {
            case NONE -> "none";
            case OTHER_LOG -> "ignored: it describes another log";
            default -> String.format("%d bytes forced%s, written under sync=%s%s", r.forced(),
                    r.mark() == Diagnosis.Mark.PAST_END ? " (more than the log holds)" : "",
                    r.sync().name().toLowerCase(Locale.ROOT), r.sync() == SyncMode.ALWAYS
                            ? " (one write call holds at most " + r.maxWrite() + " bytes)" : "");
        };
    }

    private static String status(Diagnosis r) {
        return switch (r.kind()) {
            case SOUND -> "sound";
            case TORN_TAIL -> "torn tail (the trace of a crash during a write)";
            case LOST_WRITE -> "lost write (zeros or damage past what was forced, the trace of a power cut)";
            case DAMAGE -> "damage (" + damage(r) + ": not a crash trace)";
            case INCOMPATIBLE -> String.format("incompatible (a frame at offset %d has magic 0x%02X and version"
                    + " 0x%02X)", r.foreignOffset(), r.foundMagic(), r.foundVersion());
        };
    }

    private static String damage(Diagnosis r) {
        return switch (r.reason()) {
            case UNREADABLE -> "a frame whose CRC checks out cannot be read";
            case BELOW_FORCED_MARK -> "corruption in the part of the log that was forced";
            case MORE_THAN_ONE_WRITE -> "more bad bytes than one write call under sync=always leaves";
            case FRAME_FOLLOWS -> "mid-log corruption, with sound frames after it";
            case UNDECIDED -> "too many frame-like headers after the bad frame to rule out sound frames";
            case FORCED_DATA_MISSING -> "the log is shorter than what its forced mark says was forced";
        };
    }

    private static String verdict(Diagnosis r) {
        return switch (r.kind()) {
            case TORN_TAIL, LOST_WRITE -> "the server cuts this on start, keeping the first " + r.validBytes()
                    + " bytes and saving the rest beside the log";
            case DAMAGE -> "the server refuses to start; `repair` keeps the first " + r.validBytes()
                    + " bytes after setting the original aside";
            default -> "the server refuses to start: start it with the log's magic";
        };
    }

    private static String describe(FrameDefect d) {
        return d == null ? "none: every frame is sound" : d.description();
    }

    private static int exitCode(Diagnosis r) {
        return switch (r.kind()) {
            case SOUND -> SOUND;
            case TORN_TAIL, LOST_WRITE -> CRASH_TRACE;
            case DAMAGE -> DAMAGE;
            case INCOMPATIBLE -> INCOMPATIBLE;
        };
    }

    static String json(LogInspector.FrameInfo f) {
        return write(g -> {
            g.writeNumberProperty("offset", f.offset());
            g.writeNumberProperty("length", f.length());
            g.writeStringProperty("op", f.op());
            if (f.revision() != 0) {
                g.writeNumberProperty("revision", f.revision());
            }
            if (f.key() != null) {
                g.writeStringProperty("key", f.key());
            }
            if (f.value() != null) {
                g.writeStringProperty("type", f.value().type().jsonName());
                g.writeName("value");
                if (f.value() instanceof Value.Text t) {
                    g.writeString(t.value());
                } else if (f.value() instanceof Value.Int i) {
                    g.writeNumber(i.value());
                } else {
                    g.writeNumber(((Value.Float) f.value()).value());
                }
            }
            for (Map.Entry<String, Object> d : f.details().entrySet()) {
                if (d.getValue() instanceof Number n) {
                    g.writeNumberProperty(d.getKey(), n.longValue());
                } else {
                    g.writeStringProperty(d.getKey(), String.valueOf(d.getValue()));
                }
            }
        });
    }

    static String json(Diagnosis r) {
        return write(g -> {
            g.writeNumberProperty("offset", r.validBytes());
            g.writeStringProperty("bad", r.kind().name().toLowerCase(Locale.ROOT).replace('_', '-'));
            g.writeStringProperty("defect", describe(r.defect()));
            if (r.reason() != null) {
                g.writeStringProperty("reason", r.reason().name().toLowerCase(Locale.ROOT).replace('_', '-'));
            }
            if (r.nextFrame() >= 0) {
                g.writeNumberProperty("nextFrame", r.nextFrame());
            }
            g.writeNumberProperty("size", r.size());
        });
    }

    private interface Fields {
        void write(JsonGenerator g);
    }

    private static String write(Fields fields) {
        StringWriter s = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(ObjectWriteContext.empty(), s)) {
            g.writeStartObject();
            fields.write(g);
            g.writeEndObject();
        }
        return s.toString();
    }

    /** The usage, with the defaults the options have (the store's). */
    static String usage() {
        return String.format("""
                usage: java -jar kv-store.jar verify <log> [options]
                       java -jar kv-store.jar dump <log> [options]
                       java -jar kv-store.jar repair <log> [--dry-run] [options]
                options: --magic 0x%02X  --max-key-bytes %d  --max-value-size %dMB  --max-batch-size %dMB
                exit status: 0 sound or repaired, 1 torn tail or lost write (cut on start), 2 damage, 3 incompatible,
                  64 bad usage, 74 I/O error, 75 repair refused (the service holds the lock)
                the frame format and the recovery rules: docs/format.md; the tool: docs/operations.md""",
                StoreOptions.DEFAULT_MAGIC & 0xFF, StoreOptions.DEFAULT_MAX_KEY_BYTES,
                StoreOptions.DEFAULT_MAX_VALUE_BYTES >> 20, StoreOptions.DEFAULT_MAX_BATCH_BYTES >> 20);
    }

    /** The command line. */
    record Args(String command, Path log, boolean dryRun, int magic, int maxKeyBytes, long maxValueBytes,
                long maxBatchBytes) {

        LogInspector inspector() {
            return new LogInspector((byte) magic, maxKeyBytes, Math.toIntExact(maxValueBytes),
                    Math.toIntExact(maxBatchBytes));
        }

        static Args parse(String[] args) {
            if (args.length < 2 || !COMMANDS.contains(args[0])) {
                throw new IllegalArgumentException("expected a command and a log file");
            }
            List<String> rest = new ArrayList<>(List.of(args).subList(2, args.length));
            boolean dryRun = rest.remove("--dry-run");
            if (dryRun && !args[0].equals("repair")) {
                throw new IllegalArgumentException("--dry-run is an option of repair");
            }
            int magic = StoreOptions.DEFAULT_MAGIC & 0xFF;
            long maxBatch = StoreOptions.DEFAULT_MAX_BATCH_BYTES;
            int maxKey = StoreOptions.DEFAULT_MAX_KEY_BYTES;
            long maxValue = StoreOptions.DEFAULT_MAX_VALUE_BYTES;
            for (int i = 0; i < rest.size(); i += 2) {
                String name = rest.get(i);
                if (i + 1 >= rest.size()) {
                    throw new IllegalArgumentException(name + " needs a value");
                }
                String v = rest.get(i + 1);
                try {
                    switch (name) {
                        case "--magic" -> magic = byteValue(name, Integer.decode(v));
                        case "--max-key-bytes" -> maxKey = Integer.parseInt(v);
                        case "--max-value-size" -> maxValue = DataSize.parse(v).toBytes();
                        case "--max-batch-size" -> maxBatch = DataSize.parse(v).toBytes();
                        default -> throw new IllegalArgumentException("unknown option " + name);
                    }
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(name + ": not a number: " + v);
                }
            }
            if (maxKey < 1 || maxValue < 0 || maxValue > 1L << 30 || maxBatch < 0 || maxBatch > 1L << 30) {
                throw new IllegalArgumentException("limits out of range");
            }
            return new Args(args[0], Path.of(args[1]), dryRun, magic, maxKey, maxValue, maxBatch);
        }

        private static int byteValue(String name, int v) {
            if (v < 0 || v > 255) {
                throw new IllegalArgumentException(name + " must be 0..255");
            }
            return v;
        }
    }
}
