package dev.kvstore.cluster;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One member of the Raft group: its id and the {@code host:port} its Raft server listens on (for other members and
 * for clients alike).
 */
public record ClusterMember(String id, String address) {

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    public ClusterMember {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("member id must be 1-64 letters, digits, '_', '.' or '-', starting "
                    + "with a letter or digit: " + id);
        }
        port(address);
    }

    /**
     * Parses {@code n1=host:port,n2=host:port,...}, the form of {@code kv.cluster.peers}: every member of the group,
     * this node included. Ids and addresses must be unique.
     */
    public static List<ClusterMember> parseList(String peers) {
        if (peers == null || peers.isBlank()) {
            throw new IllegalArgumentException("no cluster members given; expected n1=host:port,n2=host:port,...");
        }
        final List<ClusterMember> members = new ArrayList<>();
        final Set<String> ids = new HashSet<>();
        final Set<String> addresses = new HashSet<>();
        for (String item : peers.split(",")) {
            final String trimmed = item.strip();
            final int eq = trimmed.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("cluster member '" + trimmed + "' is not id=host:port");
            }
            final ClusterMember member = new ClusterMember(trimmed.substring(0, eq).strip(),
                    trimmed.substring(eq + 1).strip());
            if (!ids.add(member.id())) {
                throw new IllegalArgumentException("cluster member id '" + member.id() + "' is given twice");
            }
            if (!addresses.add(member.address())) {
                throw new IllegalArgumentException("cluster address '" + member.address() + "' is given twice");
            }
            members.add(member);
        }
        return List.copyOf(members);
    }

    /** The host of the address, without the brackets of an IPv6 literal. */
    public String host() {
        final String host = address.substring(0, address.lastIndexOf(':'));
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    /** The port of the address; the host is whatever precedes the last colon ({@code [::1]:9000} included). */
    public int port() {
        return port(address);
    }

    private static int port(String address) {
        final int colon = address == null ? -1 : address.lastIndexOf(':');
        if (colon <= 0 || colon == address.length() - 1) {
            throw new IllegalArgumentException("cluster address must be host:port: " + address);
        }
        final int port;
        try {
            port = Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("cluster address must be host:port: " + address, e);
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("cluster port must be 1-65535: " + address);
        }
        return port;
    }

    @Override
    public String toString() {
        return id + "=" + address;
    }
}
