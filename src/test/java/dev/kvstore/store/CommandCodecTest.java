package dev.kvstore.store;

import static dev.kvstore.store.Precondition.NONE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The command and result codec: every command and result survives the round trip, bytes and values alike, and any
 * bytes that are not exactly one are refused with {@link MalformedCommandException}, never another exception.
 */
class CommandCodecTest {

    private static final List<Precondition> PRECONDITIONS = List.of(NONE, Precondition.ifRevision(42),
            Precondition.ifRevision(Long.MAX_VALUE), Precondition.ifAbsent(), Precondition.ifExists(),
            Precondition.allOf(List.of()), Precondition.anyOf(List.of()),
            Precondition.allOf(List.of(Precondition.anyOf(List.of(Precondition.ifRevision(1),
                    Precondition.ifRevision(2))), Precondition.not(Precondition.ifAbsent()))));

    private static final List<Value> VALUES = List.of(Value.of(""), Value.of("välue ✓ 🙂"), Value.of(0L),
            Value.of(Long.MIN_VALUE), Value.of(-0.0), Value.of(Double.MIN_VALUE), Value.of(1e308));

    private static List<Command> commands() {
        List<Command> out = new ArrayList<>();
        for (Precondition p : PRECONDITIONS) {
            for (Value v : VALUES) {
                out.add(new Command.Put("ключ/ü🙂", v, p));
                out.add(new Command.Increment("k", v, p));
            }
            out.add(new Command.Delete("k", p));
        }
        out.add(new Command.Batch(List.of(BatchOperation.set("a", Value.of(1L), Precondition.ifAbsent()),
                BatchOperation.delete("b", Precondition.ifRevision(3)), BatchOperation.set("c", Value.of("x"), NONE))));
        out.add(new Command.Batch(List.of()));
        for (KeyLease lease : LEASES) {
            out.add(new Command.Put("k", Value.of("v"), Precondition.ifExists(), lease));
            out.add(new Command.Increment("k", Value.of(2L), NONE, lease));
        }
        out.add(new Command.Batch(List.of(BatchOperation.set("a", Value.of(1L), NONE, KeyLease.of(40)),
                BatchOperation.set("b", Value.of("x"), NONE, KeyLease.KEEP), BatchOperation.delete("c", NONE))));
        out.add(new Command.GrantLease(30_000));
        out.add(new Command.RevokeLease(40, false, null));
        out.add(new Command.RevokeLease(Long.MAX_VALUE, true, "tenant/ü/"));
        Command.Fingerprint fp = new Command.Fingerprint(-1L, 0x0123456789abcdefL);
        for (Command inner : List.of(new Command.Put("k", Value.of(1.5), NONE), new Command.Delete("k", NONE),
                new Command.Batch(List.of(BatchOperation.delete("x", NONE))), new Command.GrantLease(1),
                new Command.Increment("n", Value.of(1L), NONE, KeyLease.of(7)))) {
            out.add(new Command.Idempotent("writer", "8e03978e-40d5-43e8-bc93-6894a57f9324", fp, 1_700_000_000_000L,
                    inner));
        }
        return out;
    }

    private static final List<KeyLease> LEASES = List.of(KeyLease.NONE, KeyLease.KEEP, KeyLease.of(1),
            KeyLease.of(Long.MAX_VALUE), KeyLease.grant(30_000));

    private static List<CommandResult> results() {
        Entry e = new Entry(Value.of("v"), 7, 3);
        WriteResult created = new WriteResult(WriteOutcome.CREATED, new Entry(Value.of(1.5), 9, 9), 9);
        List<CommandResult> out = new ArrayList<>();
        for (WriteOutcome o : WriteOutcome.values()) {
            out.add(new WriteResult(o, e, o.applied() ? 7 : 0));
            out.add(new WriteResult(o, null, 0));
        }
        out.add(new BatchResult(true, 9, List.of(created, new WriteResult(WriteOutcome.NOT_FOUND, null, 9)), -1));
        out.add(new BatchResult(false, 0, List.of(new WriteResult(WriteOutcome.ABORTED, e, 0),
                new WriteResult(WriteOutcome.PRECONDITION_FAILED, null, 0)), 1));
        Entry leased = Entry.of(Value.of(3L), 12, 10, 10);
        out.add(new WriteResult(WriteOutcome.REPLACED, leased, 12));
        out.add(new BatchResult(false, 0, List.of(new WriteResult(WriteOutcome.LEASE_NOT_FOUND, leased, 0)), 0));
        for (LeaseOutcome o : LeaseOutcome.values()) {
            out.add(new LeaseResult(o, 40, 30_000, 41, 3));
        }
        for (IdempotentResult.Status st : IdempotentResult.Status.values()) {
            out.add(new IdempotentResult(st, null));
            out.add(new IdempotentResult(st, created));
            out.add(new IdempotentResult(st, new LeaseResult(LeaseOutcome.GRANTED, 9, 1000, 9, 0)));
        }
        return out;
    }

    @Test
    void everyCommandSurvivesTheRoundTrip() {
        for (Command c : commands()) {
            byte[] bytes = CommandCodec.encode(c);
            assertThat(CommandCodec.decode(bytes)).as("%s", c).isEqualTo(c);
            assertThat(CommandCodec.encode(CommandCodec.decode(bytes))).as("one encoding of %s", c).isEqualTo(bytes);
        }
    }

    @Test
    void everyResultSurvivesTheRoundTrip() {
        for (CommandResult r : results()) {
            byte[] bytes = CommandCodec.encodeResult(r);
            assertThat(CommandCodec.decodeResult(bytes)).as("%s", r).isEqualTo(r);
            assertThat(CommandCodec.encodeResult(CommandCodec.decodeResult(bytes))).isEqualTo(bytes);
        }
    }

    @Test
    void theLayoutIsTheDocumentedOne() {
        // version 1, PUT, key "k", integer 5, IF_REVISION 2
        assertThat(HexFormat.of().formatHex(CommandCodec.encode(new Command.Put("k", Value.of(5L),
                Precondition.ifRevision(2))))).isEqualTo("0101" + "01000000" + "6b" + "01" + "0500000000000000"
                + "01" + "0200000000000000");
        // version 1, WRITE, CREATED, revision 9, entry: string "v", revision 9, created 9
        assertThat(HexFormat.of().formatHex(CommandCodec.encodeResult(new WriteResult(WriteOutcome.CREATED,
                new Entry(Value.of("v"), 9, 9), 9)))).isEqualTo("0101" + "01" + "0900000000000000" + "01" + "00"
                + "01000000" + "76" + "0900000000000000" + "0900000000000000");
    }

    @Test
    void theLayoutOfLeasesAndIdempotencyIsTheDocumentedOne() {
        // version 1, PUT_LEASED, key "k", integer 5, NONE, ATTACH 40
        assertThat(HexFormat.of().formatHex(CommandCodec.encode(new Command.Put("k", Value.of(5L), NONE,
                KeyLease.of(40))))).isEqualTo("0108" + "01000000" + "6b" + "01" + "0500000000000000" + "00" + "03"
                + "2800000000000000");
        // version 1, IDEMPOTENT, scope "s", key "i", fingerprint 1 2, time 3, then version 1 GRANT_LEASE 1000 ms
        assertThat(HexFormat.of().formatHex(CommandCodec.encode(new Command.Idempotent("s", "i",
                new Command.Fingerprint(1, 2), 3, new Command.GrantLease(1000))))).isEqualTo("0107" + "01000000"
                + "73" + "01000000" + "69" + "0100000000000000" + "0200000000000000" + "0300000000000000" + "0105"
                + "e803000000000000");
        // a write whose entry has a lease: has-entry 2, then the lease after the revisions
        assertThat(HexFormat.of().formatHex(CommandCodec.encodeResult(new WriteResult(WriteOutcome.CREATED,
                Entry.of(Value.of(1L), 9, 9, 8), 9)))).isEqualTo("0101" + "01" + "0900000000000000" + "02" + "01"
                + "0100000000000000" + "0900000000000000" + "0900000000000000" + "0800000000000000");
        // a plain PUT and INCREMENT keep their layout: NONE and KEEP are what they imply
        assertThat(CommandCodec.encode(new Command.Put("k", Value.of(5L), NONE, KeyLease.NONE)))
                .isEqualTo(CommandCodec.encode(new Command.Put("k", Value.of(5L), NONE)));
        assertThat(CommandCodec.encode(new Command.Increment("k", Value.of(5L), NONE, KeyLease.KEEP))[1])
                .isEqualTo(CommandCodec.KIND_INCREMENT);
    }

    @Test
    void everyPrefixOfACommandIsRefused() {
        for (Command c : commands()) {
            byte[] bytes = CommandCodec.encode(c);
            for (int n = 0; n < bytes.length; n++) {
                byte[] cut = Arrays.copyOf(bytes, n);
                assertThatThrownBy(() -> CommandCodec.decode(cut)).as("%s cut to %d bytes", c, n)
                        .isInstanceOf(MalformedCommandException.class);
            }
            byte[] longer = Arrays.copyOf(bytes, bytes.length + 1);
            assertThatThrownBy(() -> CommandCodec.decode(longer)).isInstanceOf(MalformedCommandException.class)
                    .hasMessageContaining("follow the end");
        }
        for (CommandResult r : results()) {
            byte[] bytes = CommandCodec.encodeResult(r);
            for (int n = 0; n < bytes.length; n++) {
                byte[] cut = Arrays.copyOf(bytes, n);
                assertThatThrownBy(() -> CommandCodec.decodeResult(cut)).isInstanceOf(MalformedCommandException.class);
            }
        }
    }

    @Test
    void malformedFieldsAreRefusedByName() {
        assertRefused("02", "unknown version 2");
        assertRefused("010a", "unknown command kind 10");
        assertRefused("0108" + "01000000" + "6b" + "0100000000000000" + "0000" + "01", "plain kind implies");
        assertRefused("0109" + "01000000" + "6b" + "0100000000000000" + "0000" + "02", "plain kind implies");
        assertRefused("0108" + "01000000" + "6b" + "0100000000000000" + "0000" + "03" + "0000000000000000",
                "lease id must be positive");
        assertRefused("0108" + "01000000" + "6b" + "0100000000000000" + "0000" + "05", "unknown lease tag 5");
        assertRefused("0106" + "0000000000000000" + "0000", "lease id must be positive");
        assertRefused("0107" + "01000000" + "73" + "01000000" + "6b" + "00".repeat(24) + "0107", "does not nest");
        assertRefused("0102" + "01000000" + "6b" + "07", "unknown precondition tag 7");
        assertRefused("0101" + "01000000" + "6b" + "05", "unknown value type 5");
        assertRefused("0102" + "02000000" + "c328" + "00", "not valid UTF-8");
        assertRefused("0102" + "ffffffff" + "00", "exceeds the");
        assertRefused("0104" + "ffffff7f", "does not fit");
        assertRefused("0104" + "01000000" + "09" + "01000000" + "6b00", "unknown batch operation 9");
        assertRefused("0102" + "01000000" + "6b" + "04" + "ffff", "does not fit");
        assertRefused("0102" + "01000000" + "6b" + "06".repeat(CommandCodec.MAX_PRECONDITION_DEPTH + 1) + "00",
                "nested deeper");
        assertThatThrownBy(() -> CommandCodec.decodeResult(HexFormat.of().parseHex("0101" + "0b" + "0000000000000000"
                + "00"))).isInstanceOf(MalformedCommandException.class).hasMessageContaining("unknown outcome 11");
        assertThatThrownBy(() -> CommandCodec.decodeResult(HexFormat.of().parseHex("0101" + "01" + "0000000000000000"
                + "03"))).isInstanceOf(MalformedCommandException.class).hasMessageContaining("0, 1 or 2");
        assertThatThrownBy(() -> CommandCodec.decodeResult(HexFormat.of().parseHex("0103" + "06" + "00".repeat(28))))
                .isInstanceOf(MalformedCommandException.class).hasMessageContaining("unknown lease outcome 6");
        assertThatThrownBy(() -> CommandCodec.decodeResult(HexFormat.of().parseHex("0104" + "01" + "01" + "0104"
                + "0100")))
                .isInstanceOf(MalformedCommandException.class).hasMessageContaining("does not nest");
    }

    private static void assertRefused(String hex, String why) {
        assertThatThrownBy(() -> CommandCodec.decode(HexFormat.of().parseHex(hex))).as(hex)
                .isInstanceOf(MalformedCommandException.class).hasMessageContaining(why);
    }

    /** Random damage to valid bytes, and random bytes: a command, or a typed refusal; nothing else escapes. */
    @Test
    void damagedAndRandomBytesNeverEscapeAsAnythingElse() {
        long seed = Long.getLong("kv.test.seed", System.nanoTime());
        System.out.println("CommandCodecTest seed=" + seed + " (replay: -Dkv.test.seed=" + seed + ")");
        SplittableRandom r = new SplittableRandom(seed);
        List<byte[]> valid = new ArrayList<>();
        commands().forEach(c -> valid.add(CommandCodec.encode(c)));
        for (int i = 0; i < 20_000; i++) {
            byte[] bytes;
            if (i % 4 == 0) {
                bytes = new byte[r.nextInt(64)];
                r.nextBytes(bytes);
            } else {
                bytes = valid.get(r.nextInt(valid.size())).clone();
                for (int flips = 1 + r.nextInt(3); flips > 0 && bytes.length > 0; flips--) {
                    bytes[r.nextInt(bytes.length)] = (byte) r.nextInt(256);
                }
            }
            try {
                Command c = CommandCodec.decode(bytes);
                assertThat(CommandCodec.encode(c)).as("a decoded command re-encodes to its bytes").isEqualTo(bytes);
            } catch (MalformedCommandException expected) {
                assertThat(expected.offset()).isBetween(0, bytes.length);
            } catch (RuntimeException | Error e) {
                fail("seed " + seed + ": " + HexFormat.of().formatHex(bytes) + " escaped as " + e, e);
            }
        }
    }
}
