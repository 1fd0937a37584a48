package dev.kvstore.api;

import dev.kvstore.problem.ProblemType;
import dev.kvstore.KvProperties;
import dev.kvstore.security.Access;
import dev.kvstore.store.BatchOperation;
import dev.kvstore.store.BatchResult;
import dev.kvstore.store.Command;
import dev.kvstore.store.KeyLease;
import dev.kvstore.store.KeyValueStore;
import dev.kvstore.store.WriteOutcome;
import dev.kvstore.store.WriteResult;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code POST /batch}: several sets and deletes, applied together under one revision or not at all. */
@RestController
class BatchController implements BatchApi {

    private final KeyValueStore store;
    private final IdempotentWrites writes;
    private final long maxRequestBytes;

    BatchController(KeyValueStore store, IdempotentWrites writes, KvProperties properties) {
        this.store = store;
        this.writes = writes;
        this.maxRequestBytes = properties.limits().maxRequestBytes();
    }

    @Override
    @PostMapping(path = "/batch", consumes = MediaType.APPLICATION_JSON_VALUE, produces = MediaType.APPLICATION_JSON_VALUE)
    public BatchView batch(HttpServletRequest request, HttpServletResponse response) throws IOException {
        RequestBody body = RequestBody.read(request, maxRequestBytes);
        List<BatchOperation> ops = BatchJson.parse(body.bytes(), body.length());
        for (int i = 0; i < ops.size(); i++) {
            store.validateKey(ops.get(i).key());
            Access.requireKey(request, ops.get(i).key(), "the key of operation " + i);
        }
        BatchResult result = (BatchResult) writes.execute(request, response, body, new Command.Batch(ops));
        List<BatchView.Result> results = new ArrayList<>(ops.size());
        for (int i = 0; i < ops.size(); i++) {
            results.add(BatchView.Result.of(ops.get(i), result.results().get(i)));
        }
        if (!result.applied()) {
            int failed = result.failedIndex();
            WriteResult f = result.results().get(failed);
            if (f.outcome() == WriteOutcome.LEASE_NOT_FOUND) {
                long lease = ((KeyLease.Attach) ops.get(failed).lease()).id();
                throw new ApiProblem(ProblemType.UNKNOWN_LEASE, String.format("The lease \"%d\" of operation %d"
                        + " (set \"%s\") does not exist: it expired, was revoked, or never was. Nothing was written.",
                        lease, failed, ops.get(failed).key())).with("failedOperation", failed)
                        .with("lease", LeaseIds.format(lease)).with("results", results);
            }
            throw new ApiProblem(ProblemType.PRECONDITION_FAILED, String.format(
                    "The precondition of operation %d (%s \"%s\") does not hold: the key %s. Nothing was written.",
                    failed, ops.get(failed).isDelete() ? "delete" : "set", ops.get(failed).key(),
                    f.entry() == null ? "has no value" : "is at revision " + f.entry().revision()))
                    .with("failedOperation", failed).with("results", results);
        }
        return new BatchView(result.revision(), results);
    }

    static String outcome(WriteResult r) {
        return r.outcome().name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
