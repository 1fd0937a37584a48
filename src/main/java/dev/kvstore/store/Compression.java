package dev.kvstore.store;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * The compressed form of a large string value, as a frame of encoding {@link Frame#ENCODING_UTF8_LZ4} stores it:
 * <pre>
 * offset  size        field
 * 0       4           plain_len  u32, little-endian: bytes of the UTF-8 value
 * 4       value_len-4 an LZ4 block (the LZ4 block format, no frame header) of those bytes
 * </pre>
 * A value is stored this way only when it is at least the store's threshold ({@code kv.compression.min-size}) and
 * the form is smaller than the plain bytes; otherwise the frame keeps encoding {@link Frame#ENCODING_UTF8}.
 *
 * <p>LZ4 in lz4-java's pure-Java build: measured against Zstandard (README, Performance), it costs a third of the CPU
 * per value for a smaller saving, and it loads no native library, so it runs the same on a read-only root file system
 * and in any image; its output depends on nothing but the bytes, so deciding a command stays deterministic.
 */
final class Compression {

    static final int PLAIN_LENGTH_BYTES = 4;
    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final LZ4Factory LZ4 = LZ4Factory.safeInstance();
    private static final LZ4Compressor COMPRESSOR = LZ4.fastCompressor();
    private static final LZ4SafeDecompressor DECOMPRESSOR = LZ4.safeDecompressor();

    private Compression() {
    }

    /** The compressed form of {@code plain}, or {@code null} when it would not be smaller. */
    static byte[] compress(byte[] plain) {
        int max = COMPRESSOR.maxCompressedLength(plain.length);
        byte[] out = new byte[PLAIN_LENGTH_BYTES + max];
        int n = COMPRESSOR.compress(plain, 0, plain.length, out, PLAIN_LENGTH_BYTES, max);
        if (PLAIN_LENGTH_BYTES + n >= plain.length) {
            return null;
        }
        INT_LE.set(out, 0, plain.length);
        return Arrays.copyOf(out, PLAIN_LENGTH_BYTES + n);
    }

    /** {@code plain_len} of the compressed form at {@code at}, unsigned; -1 when it is too short to have one. */
    static long plainLength(byte[] buf, int at, int len) {
        return len < PLAIN_LENGTH_BYTES ? -1 : Integer.toUnsignedLong((int) INT_LE.get(buf, at));
    }

    /**
     * The plain bytes of the compressed form at {@code buf[at, at + len)}, whose {@code plain_len} was checked against
     * the value limit; {@code null} when the block is not exactly an LZ4 block of that many bytes.
     */
    static byte[] decompress(byte[] buf, int at, int len) {
        long plainLen = plainLength(buf, at, len);
        if (plainLen < 0 || plainLen > Integer.MAX_VALUE - 16) {
            return null;
        }
        byte[] plain = new byte[(int) plainLen];
        try {
            int n = DECOMPRESSOR.decompress(buf, at + PLAIN_LENGTH_BYTES, len - PLAIN_LENGTH_BYTES, plain, 0,
                    plain.length);
            return n == plain.length ? plain : null;
        } catch (LZ4Exception e) {
            return null;
        }
    }
}
