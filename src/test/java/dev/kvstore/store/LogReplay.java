package dev.kvstore.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** An independent replay of a whole log's bytes, for checks: every frame must be sound. */
final class LogReplay {

    private LogReplay() {
    }

    /** One change of a key: its new value, or {@code null} for a delete. */
    record Change(String key, Value value) {
    }

    static Map<String, Value> replay(byte[] log, LogFormat format) {
        Map<String, Value> state = new HashMap<>();
        for (int pos = 0; pos < log.length; ) {
            assertThat(Frame.checkBody(log, pos, format)).as("frame at %d", pos).isNull();
            for (Change c : changes(Frame.decode(log, pos))) {
                apply(state, c);
            }
            pos += (int) (Frame.LENGTH_FIELD_BYTES + Frame.totalLength(log, pos));
        }
        return state;
    }

    static void apply(Map<String, Value> state, Change c) {
        if (c.value() == null) {
            state.remove(c.key());
        } else {
            state.put(c.key(), c.value());
        }
    }

    /** The changes a record makes, in order: one for a set or delete, each operation of a batch, none otherwise. */
    static List<Change> changes(LogRecord r) {
        List<Change> out = new ArrayList<>();
        if (r instanceof LogRecord.Set s) {
            out.add(new Change(s.key(), s.value()));
        } else if (r instanceof LogRecord.Delete d) {
            out.add(new Change(d.key(), null));
        } else if (r instanceof LogRecord.Batch b) {
            for (LogRecord op : b.ops()) {
                out.addAll(changes(op));
            }
        }
        return out;
    }
}
