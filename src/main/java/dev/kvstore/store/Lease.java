package dev.kvstore.store;

import java.util.List;

/**
 * A lease as it is now.
 *
 * @param id              its id: the revision that granted it
 * @param ttlMillis       its time to live
 * @param remainingMillis how long until it expires unless kept alive (its whole time to live while expiry has not
 *                        started); soft state of the node that runs expiry
 * @param keys            the keys attached to it, in {@link KeyOrder#CODE_POINTS} order
 */
public record Lease(long id, long ttlMillis, long remainingMillis, List<String> keys) {

    public Lease {
        keys = List.copyOf(keys);
    }
}
