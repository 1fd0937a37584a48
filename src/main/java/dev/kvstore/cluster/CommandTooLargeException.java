package dev.kvstore.cluster;

/** A command larger than {@link ClusterConfig#maxCommandBytes()}; refused before it reaches the log. */
public class CommandTooLargeException extends IllegalArgumentException {

    public CommandTooLargeException(long size, long limit) {
        super("the command has " + size + " bytes; the cluster accepts at most " + limit);
    }
}
