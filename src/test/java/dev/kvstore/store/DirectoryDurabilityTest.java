package dev.kvstore.store;

import static dev.kvstore.store.Precondition.NONE;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Files the store creates survive a power cut because it forces their directory: the simulated disk drops every
 * directory entry that was not forced.
 */
class DirectoryDurabilityTest {

    private static final Path DIR = Path.of("/disk/kv/data");
    private static final Path LOG = DIR.resolve(StoreOptions.LOG_FILE_NAME);

    @Test
    void theDiskLosesAFileWhoseDirectoryWasNeverForced() throws IOException {
        SimulatedDisk disk = new SimulatedDisk(1, false).losingUnforcedNames();
        disk.createDirectories(DIR);
        try (LogChannel ch = disk.open(DIR.resolve("unlisted"), true)) {
            ch.writeFully(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3}), 0);
            ch.force(true);
        }
        disk.cutPower();
        assertThat(disk.reboot(2).list(DIR)).isEmpty();
    }

    @Test
    void aNewLogAndDataDirectorySurviveAPowerCutAfterTheFirstAcknowledgedWrite() throws IOException {
        SimulatedDisk disk = new SimulatedDisk(3, false).losingUnforcedNames();
        StoreOptions options = StoreOptions.defaults(DIR);
        WalKeyValueStore store = WalKeyValueStore.open(options, disk, Clock.systemUTC());
        store.put("k", Value.of("acknowledged"), NONE);
        disk.cutPower();
        closeAfterPowerCut(store);

        try (WalKeyValueStore recovered = WalKeyValueStore.open(options, disk.reboot(4), Clock.systemUTC())) {
            assertThat(recovered.get("k").value()).isEqualTo(Value.of("acknowledged"));
        }
    }

    @Test
    void theCopyOfACutTornTailSurvivesAPowerCutRightAfterRecovery() throws IOException {
        byte[] torn = GoldenLogs.bytes("torn-bad-crc.log");
        SimulatedDisk disk = new SimulatedDisk(5, true).losingUnforcedNames();
        disk.install(LOG, torn);
        // A forced mark is already there, so nothing after recovery forces the directory by the way.
        ForcedMark mark;
        try (LogChannel log = disk.openReadOnly(LOG)) {
            mark = ForcedMark.of(log, 577, SyncMode.ALWAYS, GroupCommitWriter.GROUP_BYTES);
        }
        disk.install(DIR.resolve(StoreOptions.LOG_FILE_NAME + DataDirectory.MARK_SUFFIX), mark.encode());
        WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(DIR), disk, Clock.systemUTC());
        String aside = store.status().lastRecovery().setAside().getFileName().toString();
        disk.cutPower();
        closeAfterPowerCut(store);

        SimulatedDisk after = disk.reboot(6);
        assertThat(after.list(DIR)).contains(StoreOptions.LOG_FILE_NAME, aside);
        assertThat(after.contents(DIR.resolve(aside))).isEqualTo(Arrays.copyOfRange(torn, 577, torn.length));
        assertThat(after.contents(LOG)).hasSize(577);
    }

    private static void closeAfterPowerCut(WalKeyValueStore store) {
        try {
            store.close();
        } catch (IOException expected) {
            // the final force meets the cut power
        }
    }
}
