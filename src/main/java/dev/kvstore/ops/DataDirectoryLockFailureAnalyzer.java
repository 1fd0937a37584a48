package dev.kvstore.ops;

import dev.kvstore.store.DataDirectoryLockedException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Explains a start-up refused because another process has the data directory open, and what to do about it. */
class DataDirectoryLockFailureAnalyzer extends AbstractFailureAnalyzer<DataDirectoryLockedException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, DataDirectoryLockedException cause) {
        String message = cause.getMessage();
        return new FailureAnalysis(Character.toUpperCase(message.charAt(0)) + message.substring(1) + ".", String.format("Run one kv-store process per data"
                + " directory. Stop the other process (%s) before starting this one, or point kv.data-dir (env"
                + " KV_DATA_DIR) at a directory of its own. On a shared volume, let the old instance stop before"
                + " the new one starts (in Kubernetes a Deployment with strategy Recreate, or a StatefulSet). The"
                + " offline `repair` refuses for the same reason; `verify` and `dump` read without the lock.",
                cause.holder() == null ? "its process id could not be read" : cause.holder()), cause);
    }
}
