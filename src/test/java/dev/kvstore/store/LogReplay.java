package dev.kvstore.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;

/** An independent replay of a whole log's bytes, for checks: every frame must be sound. */
final class LogReplay {

    private LogReplay() {
    }

    static Map<String, Value> replay(byte[] log, LogFormat format) {
        Map<String, Value> state = new HashMap<>();
        for (int pos = 0; pos < log.length; ) {
            assertThat(Frame.checkBody(log, pos, format)).as("frame at %d", pos).isNull();
            LogRecord r = Frame.decode(log, pos);
            if (r.isDelete()) {
                state.remove(r.key());
            } else {
                state.put(r.key(), r.value());
            }
            pos += (int) (Frame.LENGTH_FIELD_BYTES + Frame.totalLength(log, pos));
        }
        return state;
    }
}
