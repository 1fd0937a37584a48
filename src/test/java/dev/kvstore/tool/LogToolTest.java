package dev.kvstore.tool;

import static dev.kvstore.store.Precondition.NONE;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class LogToolTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        out.reset();
        err.reset();
        return LogTool.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private Path golden(String name) throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/seed-format/" + name)) {
            return Files.write(dir.resolve(name), in.readAllBytes());
        }
    }

    @Test
    void verifyReportsASoundLog() throws IOException {
        Path log = golden("basic.log");
        assertThat(run("verify", log.toString())).isEqualTo(LogTool.SOUND);
        assertThat(out()).contains("frames:        16 sound").contains("keys:          11 live")
                .contains("valid prefix:  577 bytes").contains("status:        sound");
    }

    @Test
    void dumpShowsRevisionsTheOperationsOfABatchAndTheRevisionFrameOfACompactedLog() throws IOException {
        Path data = dir.resolve("data");
        try (var store = dev.kvstore.store.WalKeyValueStore.open(dev.kvstore.store.StoreOptions.defaults(data))) {
            store.put("a", dev.kvstore.store.Value.of(1L), NONE);
            store.batch(List.of(dev.kvstore.store.BatchOperation.set("b", dev.kvstore.store.Value.of("x"), null),
                    dev.kvstore.store.BatchOperation.delete("a", null)));
        }
        Path log = data.resolve("kvstore.log");
        assertThat(run("dump", log.toString())).isEqualTo(LogTool.SOUND);
        List<String> lines = out().lines().toList();
        assertThat(lines.get(0)).isEqualTo("{\"offset\":0,\"length\":45,\"op\":\"set\",\"revision\":1,\"key\":\"a\","
                + "\"type\":\"integer\",\"value\":1}");
        assertThat(lines.get(1)).isEqualTo("{\"offset\":45,\"length\":75,\"op\":\"batch-set\",\"revision\":2,"
                + "\"key\":\"b\",\"type\":\"string\",\"value\":\"x\"}");
        assertThat(lines.get(2)).isEqualTo("{\"offset\":45,\"length\":75,\"op\":\"batch-delete\",\"revision\":2,"
                + "\"key\":\"a\"}");
        try (var store = dev.kvstore.store.WalKeyValueStore.open(dev.kvstore.store.StoreOptions.defaults(data))) {
            store.compact();
        }
        assertThat(run("dump", log.toString())).isEqualTo(LogTool.SOUND);
        assertThat(out().lines().toList()).startsWith("{\"offset\":0,\"length\":36,\"op\":\"revision\",\"revision\":2}",
                "{\"offset\":36,\"length\":38,\"op\":\"set\",\"revision\":2,\"key\":\"b\",\"type\":\"string\","
                        + "\"value\":\"x\"}");
    }

    @Test
    void verifyReportsATornTailAndExitsNonZero() throws IOException {
        Path log = golden("torn-huge-length.log");
        byte[] before = Files.readAllBytes(log);
        assertThat(run("verify", log.toString())).isEqualTo(LogTool.CRASH_TRACE);
        assertThat(out()).contains("valid prefix:  577 bytes").contains("torn tail")
                .contains("first bad:     offset 577: total_len exceeds");
        assertThat(Files.readAllBytes(log)).isEqualTo(before);
    }

    @Test
    void verifyReportsMidLogCorruptionWithItsOffsetAndKind() throws IOException {
        Path log = golden("mid-log-corruption.log");
        assertThat(run("verify", log.toString())).isEqualTo(LogTool.DAMAGE);
        assertThat(out()).contains("valid prefix:  75 bytes").contains("damage (mid-log corruption")
                .contains("first bad:     offset 75: CRC-32 mismatch").contains("next frame:    offset 105");
    }

    @Test
    void verifyReportsAnIncompatibleLog() throws IOException {
        Path log = golden("wrong-magic.log");
        assertThat(run("verify", log.toString())).isEqualTo(LogTool.INCOMPATIBLE);
        assertThat(out()).contains("magic 0xBB");
        assertThat(run("verify", log.toString(), "--magic", "0xBB")).isEqualTo(LogTool.SOUND);
    }

    @Test
    void dumpPrintsOneJsonLinePerFrameThenTheBadOne() throws IOException {
        Path log = golden("torn-bad-crc.log");
        assertThat(run("dump", log.toString())).isEqualTo(LogTool.CRASH_TRACE);
        List<JsonNode> lines = out().lines().map(l -> JsonMapper.builder().build().readTree(l)).toList();
        assertThat(lines).hasSize(17);
        assertThat(lines.get(0).toString())
                .isEqualTo("{\"offset\":0,\"length\":41,\"op\":\"set\",\"key\":\"greeting\",\"type\":\"string\","
                        + "\"value\":\"Hello, World!\"}");
        assertThat(lines.get(5).get("op").asString()).isEqualTo("delete");
        assertThat(lines.get(11).get("key").asString()).isEqualTo("negzero");
        assertThat(lines.get(11).get("value").doubleValue()).isEqualTo(-0.0);
        assertThat(Double.doubleToRawLongBits(lines.get(11).get("value").doubleValue()))
                .isEqualTo(Double.doubleToRawLongBits(-0.0));
        assertThat(lines.get(16).toString()).isEqualTo(
                "{\"offset\":577,\"bad\":\"torn-tail\",\"defect\":\"CRC-32 mismatch\",\"size\":632}");
    }

    @Test
    void repairDryRunSaysWhatWouldBeDroppedAndChangesNothing() throws IOException {
        Path log = golden("mid-log-corruption.log");
        byte[] before = Files.readAllBytes(log);
        assertThat(run("repair", log.toString(), "--dry-run")).isEqualTo(LogTool.SOUND);
        assertThat(out()).contains("Would drop 557 bytes, from offset 75").contains("Frames that check out in the"
                + " dropped part: 14").contains("\"key\":\"late\"").contains("Dry run: nothing was changed.");
        assertThat(Files.readAllBytes(log)).isEqualTo(before);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.count()).isEqualTo(1);
        }
    }

    @Test
    void repairKeepsTheOriginalAsideAndCutsToTheValidPrefix() throws IOException {
        Path log = golden("mid-log-corruption.log");
        byte[] before = Files.readAllBytes(log);
        assertThat(run("repair", log.toString())).isEqualTo(LogTool.SOUND);
        assertThat(out()).contains("Dropped 557 bytes").contains("The original is kept at");
        assertThat(Files.size(log)).isEqualTo(75);
        Path original;
        try (Stream<Path> files = Files.list(dir)) {
            original = files.filter(p -> p.getFileName().toString().startsWith("mid-log-corruption.log.orig-"))
                    .findFirst().orElseThrow();
        }
        assertThat(Files.readAllBytes(original)).isEqualTo(before);
        assertThat(run("verify", log.toString())).isEqualTo(LogTool.SOUND);
        assertThat(run("verify", original.toString())).isEqualTo(LogTool.DAMAGE);
    }

    @Test
    void repairLeavesAnIncompatibleLogAlone() throws IOException {
        Path log = golden("wrong-magic.log");
        byte[] before = Files.readAllBytes(log);
        assertThat(run("repair", log.toString())).isEqualTo(LogTool.INCOMPATIBLE);
        assertThat(Files.readAllBytes(log)).isEqualTo(before);
    }

    @Test
    void repairRefusesWhileAServerHoldsTheDirectoryAndVerifyAndDumpReadWithoutChangingAnything() throws IOException {
        Path data = dir.resolve("data");
        Path log = data.resolve("kvstore.log");
        try (var store = dev.kvstore.store.WalKeyValueStore.open(dev.kvstore.store.StoreOptions.defaults(data))) {
            store.put("a", dev.kvstore.store.Value.of(1L), NONE);
            byte[] bytes = Files.readAllBytes(log);
            // The mark follows each force on the store's timer thread, coalesced: wait until it has.
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
            while (store.status().markedBytes() != bytes.length && System.nanoTime() < deadline) {
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
            }
            java.util.List<String> before = names(data);

            assertThat(run("repair", log.toString())).isEqualTo(LogTool.LOCKED);
            assertThat(err.toString(StandardCharsets.UTF_8)).contains("in use by another kv-store process",
                    "pid " + ProcessHandle.current().pid(), "Stop the server first");
            assertThat(run("verify", log.toString())).isEqualTo(LogTool.SOUND);
            assertThat(out()).contains("forced mark:   " + bytes.length + " bytes forced, written under sync=always");
            assertThat(run("dump", log.toString())).isEqualTo(LogTool.SOUND);
            assertThat(run("repair", log.toString(), "--dry-run")).isEqualTo(LogTool.SOUND);

            assertThat(names(data)).isEqualTo(before);
            assertThat(Files.readAllBytes(log)).isEqualTo(bytes);
            store.put("b", dev.kvstore.store.Value.of(2L), NONE);
        }
    }

    @Test
    void verifyReportsALogOfSoundEnvelopesWithTheWrongLayoutAsDamage() throws IOException {
        // Frames whose CRCs check out, labelled version 2 but laid out as version 1 (issue 12).
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < 3; i++) {
            byte[] key = ("k" + i).getBytes(StandardCharsets.UTF_8);
            java.nio.ByteBuffer f = java.nio.ByteBuffer.allocate(20 + key.length + 1)
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN);
            f.putInt(16 + key.length + 1).put((byte) 0xAA).put((byte) 2).put((byte) 1).put((byte) 0)
                    .putInt(key.length).putInt(1).put(key).put((byte) 'v');
            java.util.zip.CRC32 crc = new java.util.zip.CRC32();
            crc.update(f.array(), 4, f.position() - 4);
            f.putInt((int) crc.getValue());
            bytes.writeBytes(f.array());
        }
        Path log = Files.write(dir.resolve("confused.log"), bytes.toByteArray());

        assertThat(run("verify", log.toString())).isEqualTo(LogTool.DAMAGE);
        assertThat(out()).contains("valid prefix:  0 bytes").contains("a frame whose CRC checks out cannot be read")
                .contains("total_len does not fit the layout");
        assertThat(Files.readAllBytes(log)).isEqualTo(bytes.toByteArray());
    }

    private static java.util.List<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void badUsageAndMissingFilesGetClearErrors() {
        assertThat(run("verify")).isEqualTo(LogTool.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("usage:");
        assertThat(run("verify", "x.log", "--magic", "300")).isEqualTo(LogTool.USAGE);
        assertThat(run("dump", "x.log", "--dry-run")).isEqualTo(LogTool.USAGE);
        assertThat(run("verify", dir.resolve("missing.log").toString())).isEqualTo(LogTool.IO_ERROR);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("no such file");
        assertThat(LogTool.isCommand(new String[] {"--server.port=0"})).isFalse();
        assertThat(LogTool.isCommand(new String[] {})).isFalse();
    }
}
