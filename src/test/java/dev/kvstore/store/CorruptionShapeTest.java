package dev.kvstore.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One named test per shape of damage: at the end of the log (where a crash leaves it: cut back), as a lost write
 * before later frames (a power cut with unforced writes: cut back), and in the middle (where only damage puts it:
 * refused, file untouched).
 */
class CorruptionShapeTest {

    private static final LogFormat FORMAT = new LogFormat((byte) 0xAA, 1024, 4 << 20);
    private static final byte[] BASIC = GoldenLogs.bytes("basic.log");
    private static final byte[] NEXT = Frame.encodeSet(FORMAT, Utf8.encode("next"), Value.of("a full frame"));

    @TempDir
    Path dir;

    // ---- torn tails: recovered, cut back to the end of basic.log ----

    @Test
    void shortLength() throws IOException {
        assertTornTailCut(Arrays.copyOf(NEXT, 3), FrameDefect.SHORT_LENGTH);
    }

    @Test
    void shortBody() throws IOException {
        assertTornTailCut(Arrays.copyOf(NEXT, NEXT.length - 5), FrameDefect.SHORT_BODY);
    }

    @Test
    void badCrc() throws IOException {
        byte[] tail = NEXT.clone();
        tail[tail.length - 2] ^= 0x40;
        assertTornTailCut(tail, FrameDefect.BAD_CRC);
    }

    @Test
    void absurdTotalLength() throws IOException {
        byte[] tail = NEXT.clone();
        tail[0] = (byte) 0xF0;
        tail[1] = tail[2] = tail[3] = (byte) 0xFF;
        // 0xFFFFFFF0 claims 4 GiB: recovery must not try to allocate it.
        assertTornTailCut(tail, FrameDefect.LENGTH_TOO_LARGE);
    }

    @Test
    void zeroFill() throws IOException {
        assertTornTailCut(new byte[4096], FrameDefect.LENGTH_TOO_SMALL);
    }

    @Test
    void flippedLengthField() throws IOException {
        byte[] tail = NEXT.clone();
        tail[Frame.KEY_LEN_OFFSET] += 1;
        // The envelope (total_len and the CRC over what it covers) is checked first, and key_len is under the CRC.
        assertTornTailCut(tail, FrameDefect.BAD_CRC);
    }

    // ---- damage followed by data: refused, untouched ----

    @Test
    void badCrcInTheMiddle() throws IOException {
        byte[] log = concat(BASIC, NEXT);
        log[95] ^= 0x01; // inside the value of the third frame ("pi", a float), which starts at 75
        assertRefusedAsCorrupt(log, 75, FrameDefect.BAD_CRC, 105);
    }

    @Test
    void absurdTotalLengthInTheMiddle() throws IOException {
        byte[] log = concat(BASIC, NEXT);
        log[75] = (byte) 0xF0;
        log[76] = log[77] = log[78] = (byte) 0xFF;
        assertRefusedAsCorrupt(log, 75, FrameDefect.LENGTH_TOO_LARGE, 105);
    }

    @Test
    void nonZeroGarbageBeforeSoundFramesIsDamage() throws IOException {
        byte[] garbage = new byte[64];
        java.util.Arrays.fill(garbage, (byte) 0x5A);
        byte[] log = concat(BASIC, garbage, NEXT);
        assertRefusedAsCorrupt(log, BASIC.length, FrameDefect.LENGTH_TOO_LARGE, BASIC.length + 64);
    }

    @Test
    void frameWithItsLastCrcByteZeroedButWrongCrcIsDamage() throws IOException {
        byte[] bad = NEXT.clone();
        bad[Frame.KEY_OFFSET + 1] ^= 0x10; // damage the key, so the CRC no longer matches
        bad[bad.length - 1] = 0;           // and a zero right before the next frame
        byte[] log = concat(BASIC, bad, NEXT);
        assertRefusedAsCorrupt(log, BASIC.length, FrameDefect.BAD_CRC, BASIC.length + NEXT.length);
    }

    // ---- lost writes: a later unforced write reached the disk, an earlier one did not ----

    @Test
    void zerosBeforeSoundFramesAreALostWrite() throws IOException {
        byte[] hole = new byte[512];
        assertLostWriteCut(hole, FrameDefect.LENGTH_TOO_SMALL);
    }

    @Test
    void frameCutShortThenZerosBeforeSoundFramesIsALostWrite() throws IOException {
        byte[] torn = new byte[NEXT.length + 100];
        System.arraycopy(NEXT, 0, torn, 0, 25); // header and part of the key survived
        assertLostWriteCut(torn, FrameDefect.BAD_CRC);
    }

    @Test
    void lengthFieldCutShortThenZerosIsALostWrite() throws IOException {
        byte[] torn = new byte[300];
        System.arraycopy(NEXT, 0, torn, 0, 2);
        // total_len survived (its high bytes are zero anyway); the zeros it covers fail the CRC.
        assertLostWriteCut(torn, FrameDefect.BAD_CRC);
    }

    @Test
    void frameCutInsideItsCrcIsALostWriteOnlyIfTheKeptCrcBytesMatch() throws IOException {
        byte[] torn = NEXT.clone();
        torn[torn.length - 1] = 0; // the last CRC byte never reached the disk; the first three did
        assertThat(NEXT[NEXT.length - 1]).isNotZero();
        assertLostWriteCut(concat(torn, new byte[40]), FrameDefect.BAD_CRC);
    }

    @Test
    void wrongMagic() throws IOException {
        byte[] log = Frame.encodeSet(new LogFormat((byte) 0xBB, 1024, 1024), Utf8.encode("k"),
                Value.of(1L));
        Path file = install(log);

        assertThatThrownBy(() -> open(StoreOptions.defaults(dir)))
                .isInstanceOfSatisfying(IncompatibleLogException.class, e -> {
                    assertThat(e.offset()).isZero();
                    assertThat(e.foundMagic()).isEqualTo(0xBB);
                    assertThat(e.getMessage()).contains("magic 0xBB").contains("0xAA");
                });
        assertThat(Files.readAllBytes(file)).isEqualTo(log);
    }

    @Test
    void wrongVersionAfterValidFrames() throws IOException {
        // A seed-layout frame under version 3, which no release has written yet, with a CRC that checks out.
        byte[] v3 = Frame.encodeSet(new LogFormat((byte) 0xAA, 1024, 1024), Utf8.encode("k"), Value.of(1L));
        v3[Frame.VERSION_OFFSET] = 0x03;
        java.nio.ByteBuffer.wrap(v3).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putInt(v3.length - Frame.CRC_BYTES, Frame.checksum(v3, 0, v3.length - Frame.CRC_BYTES));
        byte[] log = concat(BASIC, v3);
        install(log);

        assertThatThrownBy(() -> open(StoreOptions.defaults(dir)))
                .isInstanceOfSatisfying(IncompatibleLogException.class, e -> {
                    assertThat(e.offset()).isEqualTo(BASIC.length);
                    assertThat(e.foundVersion()).isEqualTo(3);
                });
    }

    @Test
    void foreignFrameAfterDamageIsIncompatibleNotTorn() throws IOException {
        byte[] foreign = Frame.encodeSet(new LogFormat((byte) 0xBB, 1024, 1024), Utf8.encode("k"),
                Value.of(1L));
        byte[] log = concat(BASIC, new byte[] {1, 2, 3}, foreign);
        install(log);

        assertThatThrownBy(() -> open(StoreOptions.defaults(dir))).isInstanceOf(IncompatibleLogException.class);
    }

    @Test
    void checksummedButUnreadableFrameAtTheEndIsNotTakenForATornOne() throws IOException {
        byte[] unknownOp = Frame.encode(FORMAT, (byte) 7, Frame.ENCODING_UTF8, Utf8.encode("k"), new byte[0]);
        byte[] log = concat(BASIC, unknownOp);
        install(log);

        assertThatThrownBy(() -> open(StoreOptions.defaults(dir)))
                .isInstanceOfSatisfying(LogCorruptedException.class, e -> {
                    assertThat(e.offset()).isEqualTo(BASIC.length);
                    assertThat(e.defect()).isEqualTo(FrameDefect.UNKNOWN_OP);
                    assertThat(e.nextFrameOffset()).isEqualTo(-1);
                });
    }

    @Test
    void frameWrittenUnderLargerLimitsIsRefusedNotCut() throws IOException {
        byte[] big = Frame.encodeSet(FORMAT, Utf8.encode("big"), Value.of("x".repeat(5000)));
        byte[] log = concat(BASIC, big);
        install(log);

        assertThatThrownBy(() -> open(StoreOptions.defaults(dir).withLimits(1024, 4096)))
                .isInstanceOfSatisfying(LogCorruptedException.class, e -> {
                    assertThat(e.defect()).isEqualTo(FrameDefect.OVER_LIMIT);
                    assertThat(e.getMessage()).contains("kv.limits.max-value-size");
                });
        try (WalKeyValueStore store = open(StoreOptions.defaults(dir))) {
            assertThat(store.get("big").value()).isEqualTo(Value.of("x".repeat(5000)));
        }
    }

    // ---- sound envelopes whose layout does not fit: some writer wrote them whole, no crash did ----

    /**
     * The log of issue 12: 301 frames whose CRCs check out, labelled version 2 but laid out as version 1. The layout
     * used to be checked before the envelope, so the first frame passed for a torn one and the whole log was cut.
     */
    static byte[] versionConfusion() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < 301; i++) {
            byte[] frame = Frame.encodeSet(FORMAT, Utf8.encode(String.format("key-%03d", i)),
                    Value.of(String.format("v%04d", i)));
            frame[Frame.VERSION_OFFSET] = Frame.VERSION_REVISIONS;
            FrameTest.restamp(frame);
            out.writeBytes(frame);
        }
        return out.toByteArray();
    }

    @Test
    void soundEnvelopesWithTheWrongLayoutAreRefusedAndTheFileIsLeftAsItIs() throws IOException {
        byte[] log = versionConfusion();
        assertThat(log.length).as("about the 9.7 KB of the issue").isBetween(9_000, 10_500);
        Path file = install(log);

        assertThatThrownBy(() -> open(StoreOptions.defaults(dir)))
                .isInstanceOfSatisfying(LogCorruptedException.class, e -> {
                    assertThat(e.offset()).isZero();
                    assertThat(e.defect()).isEqualTo(FrameDefect.LENGTH_MISMATCH);
                    assertThat(e.reason()).isEqualTo(LogCorruptedException.Reason.UNREADABLE);
                    assertThat(e.getMessage()).contains("CRC-32 is correct", "not a torn write");
                });
        assertThat(Files.readAllBytes(file)).isEqualTo(log);
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(f -> f.getFileName().toString()).sorted().toList())
                    .containsExactly(StoreOptions.LOG_FILE_NAME, StoreOptions.LOG_FILE_NAME + ".lock");
        }
        LogInspector.Report r = new LogInspector(LogStorage.files(), FORMAT).verify(file);
        assertThat(r.diagnosis().kind()).isEqualTo(Diagnosis.Kind.DAMAGE);
        assertThat(r.diagnosis().reason()).isEqualTo(LogCorruptedException.Reason.UNREADABLE);
    }

    @Test
    void soundEnvelopesWithTheWrongLayoutAfterValidFramesAreRefusedWhereTheyStart() throws IOException {
        byte[] log = concat(BASIC, versionConfusion());
        Path file = install(log);

        assertThatThrownBy(() -> open(StoreOptions.defaults(dir)))
                .isInstanceOfSatisfying(LogCorruptedException.class, e -> {
                    assertThat(e.offset()).isEqualTo(BASIC.length);
                    assertThat(e.defect()).isEqualTo(FrameDefect.LENGTH_MISMATCH);
                });
        assertThat(Files.readAllBytes(file)).isEqualTo(log);
    }

    private void assertTornTailCut(byte[] tail, FrameDefect expectedDefect) throws IOException {
        Path file = install(concat(BASIC, tail));

        try (WalKeyValueStore store = open(StoreOptions.defaults(dir))) {
            RecoveryReport r = store.status().lastRecovery();
            assertThat(r.diagnosis().kind()).isEqualTo(Diagnosis.Kind.TORN_TAIL);
            assertThat(r.diagnosis().defect()).isEqualTo(expectedDefect);
            assertThat(r.validBytes()).isEqualTo(BASIC.length);
            assertThat(r.bytesCut()).isEqualTo(tail.length);
            assertThat(Files.readAllBytes(r.setAside())).isEqualTo(tail);
            assertThat(store.entries()).isEqualTo(GoldenLogs.state("basic.log"));
        }
        assertThat(Files.readAllBytes(file)).isEqualTo(BASIC);
    }

    /** {@code hole} sits between basic.log and a sound frame: recovery cuts from the hole on, bytes set aside. */
    private void assertLostWriteCut(byte[] hole, FrameDefect expectedDefect) throws IOException {
        byte[] tail = concat(hole, NEXT);
        Path file = install(concat(BASIC, tail));

        try (WalKeyValueStore store = open(StoreOptions.defaults(dir))) {
            RecoveryReport r = store.status().lastRecovery();
            assertThat(r.diagnosis().kind()).isEqualTo(Diagnosis.Kind.LOST_WRITE);
            assertThat(r.diagnosis().defect()).isEqualTo(expectedDefect);
            assertThat(r.validBytes()).isEqualTo(BASIC.length);
            assertThat(Files.readAllBytes(r.setAside())).isEqualTo(tail);
            assertThat(store.entries()).isEqualTo(GoldenLogs.state("basic.log"));
        }
        assertThat(Files.readAllBytes(file)).isEqualTo(BASIC);
    }

    private void assertRefusedAsCorrupt(byte[] log, long offset, FrameDefect defect, long next) throws IOException {
        Path file = install(log);

        assertThatThrownBy(() -> open(StoreOptions.defaults(dir)))
                .isInstanceOfSatisfying(LogCorruptedException.class, e -> {
                    assertThat(e.offset()).isEqualTo(offset);
                    assertThat(e.defect()).isEqualTo(defect);
                    assertThat(e.nextFrameOffset()).isEqualTo(next);
                    assertThat(e.getMessage()).contains(file.toAbsolutePath().toString()).contains("offset " + offset);
                });
        assertThat(Files.readAllBytes(file)).isEqualTo(log);
    }

    private Path install(byte[] log) throws IOException {
        return Files.write(dir.resolve(StoreOptions.LOG_FILE_NAME), log);
    }

    private static WalKeyValueStore open(StoreOptions options) throws IOException {
        return WalKeyValueStore.open(options);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
