package dev.kvstore.store;

import java.util.List;

/**
 * What the {@link StateMachine} decided for one command against one state: its result, and, when it writes, its
 * revision, the changes it makes to keys, what it does to leases and idempotency records, and the frame that records
 * all of it in the log.
 *
 * @param revision the revision it takes, or 0 when it writes nothing
 * @param changes  the keys it changes, in order; empty when it writes nothing (a grant, or a record alone, writes
 *                 and changes no key)
 * @param frame    its log frame (version 2, stamped), or {@code null} when it writes nothing
 * @param granted  the lease it grants, or {@code null}
 * @param ended    the lease it ends (revoked or expired), or 0
 * @param record   the idempotency record it adds, or {@code null}
 */
record Decision(Command command, CommandResult result, long revision, List<Change> changes, byte[] frame,
                Grant granted, long ended, IdempotencyRecord record) {

    /** A lease granted by a decision. */
    record Grant(long lease, long ttlMillis) {
    }

    Decision(Command command, CommandResult result, long revision, List<Change> changes, byte[] frame) {
        this(command, result, revision, changes, frame, null, 0, null);
    }

    /** A command that changes nothing: a failed precondition, a delete of a missing key, a refused increment. */
    static Decision refused(Command command, CommandResult result) {
        return new Decision(command, result, 0, List.of(), null);
    }

    boolean writes() {
        return frame != null;
    }
}
