package dev.kvstore.ops;

import dev.kvstore.store.IncompatibleLogException;
import dev.kvstore.store.InvalidSnapshotException;
import dev.kvstore.store.LogCorruptedException;
import dev.kvstore.store.LogException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Explains a start-up refused by recovery: which file, which offset, and what the operator can do. */
class LogRecoveryFailureAnalyzer extends AbstractFailureAnalyzer<LogException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, LogException cause) {
        String action;
        String tool = String.format("Inspect it offline with `java -jar kv-store.jar verify %s` (or `dump`).",
                cause.file());
        if (cause instanceof LogCorruptedException c && c.reason() == LogCorruptedException.Reason.FORCED_DATA_MISSING) {
            action = String.format("%s The log is shorter than what was forced to disk, so acknowledged writes are"
                    + " missing from it: restore it from a backup if you have one. To start from the %d bytes it"
                    + " holds, run `java -jar kv-store.jar repair %s` or restart once with kv.recovery.repair=true"
                    + " (env KV_RECOVERY_REPAIR=true); both copy the log aside first. If you removed or replaced the"
                    + " log on purpose, remove %s%s as well.", tool, c.offset(), c.file(), c.file(), ".forced");
        } else if (cause instanceof LogCorruptedException c) {
            action = String.format("%s The log has damage at byte offset %d that no crash leaves, so cutting it"
                    + " would lose acknowledged writes. To keep the %d bytes before the damage, either run"
                    + " `java -jar kv-store.jar repair %s` (add --dry-run to see what it would drop; it copies the"
                    + " original aside first), or restart once with kv.recovery.repair=true (env"
                    + " KV_RECOVERY_REPAIR=true), which copies the original to %s.corrupt-<time>, and then remove"
                    + " that setting.", tool, c.offset(), c.offset(), c.file(), c.file().getFileName());
        } else if (cause instanceof InvalidSnapshotException) {
            action = String.format("%s Copy or download the snapshot again (GET /admin/snapshot sends its SHA-256"
                    + " in the Repr-Digest header to compare with), or point kv.restore.from at a whole one. The data"
                    + " directory was left as it was.", tool);
        } else {
            IncompatibleLogException i = (IncompatibleLogException) cause;
            action = String.format("%s Point kv.data-dir at this store's own data directory, or, if this log"
                    + " really is the one to serve and its version is 0x01 or 0x02, set kv.wal.magic=0x%02X to match"
                    + " it; a version above 0x02 was written by a newer release.", tool, i.foundMagic());
        }
        return new FailureAnalysis(cause.getMessage(), action, cause);
    }
}
