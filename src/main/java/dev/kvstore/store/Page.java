package dev.kvstore.store;

import java.util.List;
import java.util.Map;

/**
 * One page of a listing, read as one consistent state: no batch is half in it.
 *
 * @param entries  the keys in {@link KeyOrder#CODE_POINTS} order with their entries
 * @param more     whether keys with the prefix follow the last one
 * @param revision the revision of the state the page was read from: a watch from {@code revision + 1} on sees every
 *                 change after it, so a listing and then a watch miss nothing in between
 */
public record Page(List<Map.Entry<String, Entry>> entries, boolean more, long revision) {
}
