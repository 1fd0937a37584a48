package dev.kvstore.store;

import java.util.Objects;

/**
 * A typed value as the store keeps it: a UTF-8 string, a signed 64-bit integer or a finite 64-bit float.
 */
public sealed interface Value permits Value.Text, Value.Int, Value.Float {

    ValueType type();

    static Value of(String s) {
        return new Text(s);
    }

    static Value of(long l) {
        return new Int(l);
    }

    static Value of(double d) {
        return new Float(d);
    }

    record Text(String value) implements Value {
        public Text {
            Objects.requireNonNull(value, "value");
        }

        @Override
        public ValueType type() {
            return ValueType.STRING;
        }
    }

    record Int(long value) implements Value {
        @Override
        public ValueType type() {
            return ValueType.INTEGER;
        }
    }

    /** Equality is bitwise, so {@code -0.0} and {@code 0.0} are different values, as they are on disk. */
    record Float(double value) implements Value {
        @Override
        public ValueType type() {
            return ValueType.FLOAT;
        }
    }
}
