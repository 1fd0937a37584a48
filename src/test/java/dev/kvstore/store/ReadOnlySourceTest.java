package dev.kvstore.store;

import static dev.kvstore.store.Precondition.NONE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading is all a restore, {@code verify}, {@code dump} and the mark reader do, so they work on files this process
 * cannot write: a backup on a read-only mount, an inspected data directory mounted read-only. Root ignores
 * permission bits, and CI runs as root, so the test makes the files unwritable for root too: a read-only bind mount
 * of their directory, else the immutable attribute ({@code chattr +i}), else (not root) permission bits; it is
 * skipped, saying why, only where none of these works.
 */
class ReadOnlySourceTest {

    @TempDir
    Path dir;

    private final List<List<String>> undo = new ArrayList<>();

    @AfterEach
    void writableAgain() throws Exception {
        for (int i = undo.size() - 1; i >= 0; i--) {
            run(undo.get(i));
        }
    }

    @Test
    void aRestoreVerifyAndDumpReadFilesThisProcessCannotWrite() throws Exception {
        Path ro = Files.createDirectories(dir.resolve("readonly"));
        Path backup = ro.resolve("backup.log");
        Path data = ro.resolve("data");
        Map<String, Value> state;
        try (WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(data))) {
            for (int i = 0; i < 200; i++) {
                store.put("k" + i, Value.of("value " + i), NONE);
            }
            state = store.entries();
            try (Snapshot s = store.snapshot(); OutputStream out = Files.newOutputStream(backup)) {
                s.transferTo(out);
            }
        }
        String how = makeUnwritable(ro, List.of(backup, data.resolve(StoreOptions.LOG_FILE_NAME),
                DataDirectory.markOf(data.resolve(StoreOptions.LOG_FILE_NAME))));
        System.out.println("ReadOnlySourceTest: files made unwritable by " + how);
        assertThatThrownBy(() -> FileChannel.open(backup, StandardOpenOption.WRITE).close())
                .as("the backup is really unwritable").isInstanceOf(IOException.class);

        Path target = dir.resolve("restored");
        try (WalKeyValueStore restored = WalKeyValueStore.open(StoreOptions.defaults(target)
                .withRestoreFrom(backup))) {
            assertThat(restored.status().lastRecovery().restored()).isTrue();
            assertThat(restored.entries()).isEqualTo(state);
            restored.put("after", Value.of(1L), NONE);
        }

        LogInspector inspector = new LogInspector(LogStorage.files(), StoreOptions.defaults(data).format());
        LogInspector.Report report = inspector.verify(data.resolve(StoreOptions.LOG_FILE_NAME));
        assertThat(report.diagnosis().kind()).isEqualTo(Diagnosis.Kind.SOUND);
        assertThat(report.diagnosis().mark()).as("the mark was read too").isEqualTo(Diagnosis.Mark.MATCHED);
        assertThat(report.liveKeys()).isEqualTo(state.size());
        List<LogInspector.FrameInfo> frames = new ArrayList<>();
        inspector.dump(backup, frames::add);
        assertThat(frames).hasSizeGreaterThan(state.size());
        assertThat(inspector.repair(backup, true).before().diagnosis().kind()).isEqualTo(Diagnosis.Kind.SOUND);
    }

    /** Makes {@code files} (all under {@code dir}) unwritable for this process; returns how. */
    private String makeUnwritable(Path dir, List<Path> files) throws Exception {
        boolean root = "root".equals(System.getProperty("user.name"));
        if (!root) {
            for (Path f : files) {
                f.toFile().setWritable(false, false);
                undo.add(List.of("chmod", "u+w", f.toString()));
            }
            return "permission bits";
        }
        if (run(List.of("mount", "--bind", dir.toString(), dir.toString()))) {
            undo.add(List.of("umount", dir.toString()));
            if (run(List.of("mount", "-o", "remount,ro,bind", dir.toString()))) {
                return "a read-only bind mount";
            }
        }
        List<String> failed = new ArrayList<>();
        for (Path f : files) {
            if (run(List.of("chattr", "+i", f.toString()))) {
                undo.add(List.of("chattr", "-i", f.toString()));
            } else {
                failed.add(f.toString());
            }
        }
        Assumptions.assumeTrue(failed.isEmpty(), "running as root, and neither a read-only bind mount nor"
                + " chattr +i works here, so no file can be made unwritable: " + failed);
        return "chattr +i";
    }

    private static boolean run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    }
}
