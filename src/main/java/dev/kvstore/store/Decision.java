package dev.kvstore.store;

import java.util.List;

/**
 * What the {@link StateMachine} decided for one command against one state: its result, and, when it writes, its
 * revision, the changes it makes and the frame that records them in the log.
 *
 * @param revision the revision it takes, or 0 when it writes nothing
 * @param changes  the keys it changes, in order; empty when it writes nothing
 * @param frame    its log frame (version 2, stamped), or {@code null} when it writes nothing
 */
record Decision(Command command, CommandResult result, long revision, List<Change> changes, byte[] frame) {

    /** A command that changes nothing: a failed precondition, a delete of a missing key, a refused increment. */
    static Decision refused(Command command, CommandResult result) {
        return new Decision(command, result, 0, List.of(), null);
    }

    boolean writes() {
        return frame != null;
    }
}
