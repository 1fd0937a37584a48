package dev.kvstore.ops;

import dev.kvstore.store.IncompatibleLogException;
import dev.kvstore.store.LogCorruptedException;
import dev.kvstore.store.LogException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Explains a start-up refused by recovery: which file, which offset, and what the operator can do. */
class LogRecoveryFailureAnalyzer extends AbstractFailureAnalyzer<LogException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, LogException cause) {
        String action;
        if (cause instanceof LogCorruptedException c) {
            action = String.format("The log has damage at byte offset %d with sound frames after it, so cutting it"
                    + " would lose acknowledged writes. Keep a copy of %s and inspect it. To start with the %d bytes"
                    + " before the damage, restart once with kv.recovery.repair=true (env KV_RECOVERY_REPAIR=true):"
                    + " the whole original is first copied to %s.corrupt-<time> beside it. Then remove the setting.",
                    c.offset(), c.file(), c.offset(), c.file().getFileName());
        } else {
            IncompatibleLogException i = (IncompatibleLogException) cause;
            action = String.format("Point kv.data-dir at this store's own data directory, or, if this log really is"
                    + " the one to serve, set kv.wal.magic=0x%02X and kv.wal.version=0x%02X to match it.",
                    i.foundMagic(), i.foundVersion());
        }
        return new FailureAnalysis(cause.getMessage(), action, cause);
    }
}
