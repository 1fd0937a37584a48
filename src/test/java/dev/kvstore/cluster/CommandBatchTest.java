package dev.kvstore.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class CommandBatchTest {

    @Test
    void itemsComeBackInOrderEmptyOnesIncluded() {
        final List<byte[]> items = List.of(new byte[] {1, 2, 3}, new byte[0], new byte[] {(byte) 0xB7});
        final byte[] bytes = CommandBatch.encode(items);
        assertThat(bytes).hasSize(CommandBatch.HEADER_BYTES + 3 * CommandBatch.ITEM_OVERHEAD + 4);
        assertThat(CommandBatch.decode(bytes)).containsExactly(items.toArray(byte[][]::new));
        assertThat(CommandBatch.decode(CommandBatch.encode(List.of()))).isEmpty();
    }

    @Test
    void bytesWithoutTheMagicAreOneCommandAsLogsBeforeBatchingHoldThem() {
        final byte[] command = {1, 5, 6}; // the store's codec starts with its version byte, 1
        assertThat(CommandBatch.decode(command)).containsExactly(command);
        assertThat(CommandBatch.decode(new byte[0])).containsExactly(new byte[0]);
    }

    @Test
    void theLargestCommandFitsTheLargestEntry() {
        final byte[] command = new byte[1000];
        assertThat(CommandBatch.encode(List.of(command))).hasSize(CommandBatch.maxEntryBytes(1000));
    }

    @Test
    void aDamagedBatchIsRefusedNotCutShort() {
        final byte[] good = CommandBatch.encode(List.of(new byte[] {1, 2}, new byte[] {3}));
        // cut inside the last item, inside a length, inside the header
        assertThatThrownBy(() -> CommandBatch.decode(Arrays.copyOf(good, good.length - 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("item 1");
        assertThatThrownBy(() -> CommandBatch.decode(Arrays.copyOf(good, CommandBatch.HEADER_BYTES + 2)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CommandBatch.decode(Arrays.copyOf(good, 3)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("header");
        // bytes after the last item
        assertThatThrownBy(() -> CommandBatch.decode(Arrays.copyOf(good, good.length + 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("after");
        // a count no item list of this size can hold, or a negative one
        final byte[] huge = good.clone();
        ByteBuffer.wrap(huge).putInt(1, Integer.MAX_VALUE);
        assertThatThrownBy(() -> CommandBatch.decode(huge)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("claims");
        final byte[] negative = good.clone();
        ByteBuffer.wrap(negative).putInt(1, -1);
        assertThatThrownBy(() -> CommandBatch.decode(negative)).isInstanceOf(IllegalArgumentException.class);
    }
}
