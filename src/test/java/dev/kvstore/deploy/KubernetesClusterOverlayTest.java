package dev.kvstore.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubernetes.client.custom.IntOrString;
import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1ContainerPort;
import io.kubernetes.client.openapi.models.V1EnvVar;
import io.kubernetes.client.openapi.models.V1NetworkPolicy;
import io.kubernetes.client.openapi.models.V1NetworkPolicyIngressRule;
import io.kubernetes.client.openapi.models.V1NetworkPolicyPort;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1StatefulSet;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * {@code deploy/kubernetes-cluster}, the overlay that turns the single-node manifests into a three-node cluster: its
 * JSON patches, applied here to the base StatefulSet as kustomize applies them (RFC 6902), give an object that passes
 * the Kubernetes API schemas, and the cluster settings agree with the manifests they name (the replicas, the headless
 * Service, the Raft port, the NetworkPolicy guarding it). The base stays the single-node deployment
 * ({@link KubernetesManifestsTest}).
 */
class KubernetesClusterOverlayTest {

    private static final Path BASE = Path.of("deploy", "kubernetes");
    private static final Path OVERLAY = Path.of("deploy", "kubernetes-cluster");

    private static V1StatefulSet statefulSet;
    private static V1Container container;
    private static V1Service headless;
    private static V1NetworkPolicy raftPolicy;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void applyTheOverlay() throws IOException {
        Map<String, Object> kustomization = (Map<String, Object>) yaml(OVERLAY.resolve("kustomization.yaml"));
        assertThat((List<Object>) kustomization.get("resources")).containsExactly("../kubernetes",
                "networkpolicy.yaml");
        List<Map<String, Object>> patches = (List<Map<String, Object>>) kustomization.get("patches");
        assertThat(patches).singleElement().satisfies(p -> {
            assertThat((Map<String, Object>) p.get("target")).containsEntry("kind", "StatefulSet")
                    .containsEntry("name", "kv-store");
            assertThat(p.get("path")).isEqualTo("statefulset-patch.yaml");
        });

        Map<String, Object> sts = (Map<String, Object>) yaml(BASE.resolve("statefulset.yaml"));
        for (Map<String, Object> op : (List<Map<String, Object>>) yaml(OVERLAY.resolve("statefulset-patch.yaml"))) {
            JsonPatch.apply(sts, op);
        }
        statefulSet = (V1StatefulSet) KubernetesSchema.validate(sts);
        container = statefulSet.getSpec().getTemplate().getSpec().getContainers().get(0);
        headless = KubernetesSchema.read(BASE.resolve("service.yaml")).stream()
                .filter(m -> m.model() instanceof V1Service).map(m -> m.as(V1Service.class))
                .filter(s -> s.getMetadata().getName().equals(statefulSet.getSpec().getServiceName()))
                .findFirst().orElseThrow();
        raftPolicy = KubernetesSchema.read(OVERLAY.resolve("networkpolicy.yaml")).get(0).as(V1NetworkPolicy.class);
    }

    @Test
    void threeReplicasStartTogetherAsOneGroup() {
        int replicas = statefulSet.getSpec().getReplicas();
        assertThat(replicas).as("an odd number of at least three").isGreaterThanOrEqualTo(3).isOdd();
        // OrderedReady would wait for pod 0 to be ready, which needs a majority: no pod would ever start.
        assertThat(statefulSet.getSpec().getPodManagementPolicy()).isEqualTo("Parallel");
        assertThat(env("KV_CLUSTER_ENABLED").getValue()).isEqualTo("true");
        assertThat(env("KV_CLUSTER_NODE_ID").getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.name");
        // Members find each other while none is ready yet.
        assertThat(headless.getSpec().getPublishNotReadyAddresses()).isTrue();
        assertThat(headless.getSpec().getClusterIP()).isEqualTo("None");
    }

    @Test
    void thePeerListNamesEveryReplicaByItsStableNameOnTheRaftPort() {
        int raftPort = raftPort().getContainerPort();
        String name = statefulSet.getMetadata().getName();
        String service = statefulSet.getSpec().getServiceName();
        List<String> expected = IntStream.range(0, statefulSet.getSpec().getReplicas())
                .mapToObj(i -> name + "-" + i + "=" + name + "-" + i + "." + service + ":" + raftPort).toList();
        assertThat(List.of(env("KV_CLUSTER_PEERS").getValue().split(","))).containsExactlyElementsOf(expected);
        // The peers are off loopback: the Raft port states that it runs in plain text, behind the NetworkPolicy.
        assertThat(env("KV_CLUSTER_TLS_ENABLED").getValue()).isEqualTo("false");
        // The base keeps its marked place for this, and the single-node deployment sets nothing of it.
        assertThat(container.getPorts()).extracting(V1ContainerPort::getName).containsExactly("http", "raft");
    }

    @Test
    void onlyTheStoresOwnPodsReachTheRaftPort() {
        Map<String, String> podLabels = statefulSet.getSpec().getTemplate().getMetadata().getLabels();
        assertThat(podLabels).containsAllEntriesOf(raftPolicy.getSpec().getPodSelector().getMatchLabels());
        assertThat(raftPolicy.getSpec().getPolicyTypes()).containsExactly("Ingress");
        List<V1NetworkPolicyIngressRule> rules = raftPolicy.getSpec().getIngress();
        List<String> open = new ArrayList<>();
        for (V1NetworkPolicyIngressRule rule : rules) {
            for (V1NetworkPolicyPort port : rule.getPorts()) {
                if (port.getPort().equals(new IntOrString("raft"))) {
                    assertThat(rule.getFrom()).as("who may reach the Raft port").singleElement().satisfies(peer ->
                            assertThat(podLabels).containsAllEntriesOf(peer.getPodSelector().getMatchLabels()));
                } else {
                    open.add(port.getPort().getStrValue());
                }
            }
        }
        assertThat(open).containsExactly("http");
    }

    private static V1ContainerPort raftPort() {
        return container.getPorts().stream().filter(p -> "raft".equals(p.getName())).findFirst().orElseThrow();
    }

    private static V1EnvVar env(String name) {
        return container.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + name));
    }

    private static Object yaml(Path file) throws IOException {
        try (Reader in = Files.newBufferedReader(file)) {
            return new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
        }
    }

    /** The RFC 6902 operations kustomize's JSON patches use here: add (with {@code -} for the end) and replace. */
    static final class JsonPatch {
        @SuppressWarnings("unchecked")
        static void apply(Map<String, Object> document, Map<String, Object> op) {
            String[] path = ((String) op.get("path")).substring(1).split("/");
            Object parent = document;
            for (int i = 0; i < path.length - 1; i++) {
                parent = parent instanceof Map<?, ?> m ? m.get(path[i])
                        : ((List<Object>) parent).get(Integer.parseInt(path[i]));
                assertThat(parent).as("%s: no %s", op.get("path"), path[i]).isNotNull();
            }
            String last = path[path.length - 1];
            Object value = op.get("value");
            switch ((String) op.get("op")) {
                case "add" -> {
                    if (parent instanceof List<?> list) {
                        ((List<Object>) list).add(last.equals("-") ? list.size() : Integer.parseInt(last), value);
                    } else {
                        ((Map<String, Object>) parent).put(last, value);
                    }
                }
                case "replace" -> {
                    assertThat(((Map<String, Object>) parent)).as("replace %s", op.get("path")).containsKey(last);
                    ((Map<String, Object>) parent).put(last, value);
                }
                default -> throw new AssertionError("unexpected patch operation " + op);
            }
        }
    }
}
