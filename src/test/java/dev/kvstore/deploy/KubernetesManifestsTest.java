package dev.kvstore.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubernetes.client.custom.IntOrString;
import io.kubernetes.client.custom.Quantity;
import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1ContainerPort;
import io.kubernetes.client.openapi.models.V1EnvVar;
import io.kubernetes.client.openapi.models.V1PersistentVolumeClaim;
import io.kubernetes.client.openapi.models.V1PodDisruptionBudget;
import io.kubernetes.client.openapi.models.V1PodSecurityContext;
import io.kubernetes.client.openapi.models.V1PodSpec;
import io.kubernetes.client.openapi.models.V1Probe;
import io.kubernetes.client.openapi.models.V1SecurityContext;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServicePort;
import io.kubernetes.client.openapi.models.V1StatefulSet;
import io.kubernetes.client.openapi.models.V1VolumeMount;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.convert.DurationStyle;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * {@code deploy/kubernetes}: every object passes the Kubernetes API schemas ({@link KubernetesSchema}), and the
 * manifests keep the promises their comments make, checked against the files they must agree with (the Dockerfile,
 * application.properties, docker-compose.yml) rather than against copies of their values.
 */
class KubernetesManifestsTest {

    private static final Path DIR = Path.of("deploy", "kubernetes");
    /** What the JVM needs besides the heap: metaspace, code cache, thread stacks, GC and direct buffers. */
    private static final long NON_HEAP_BYTES = 256L << 20;

    private static List<KubernetesSchema.Manifest> manifests;
    private static V1StatefulSet statefulSet;
    private static V1PodSpec pod;
    private static V1Container container;

    @BeforeAll
    static void readAll() throws IOException {
        manifests = new ArrayList<>();
        for (Path file : manifestFiles()) {
            manifests.addAll(KubernetesSchema.read(file));
        }
        statefulSet = only(V1StatefulSet.class);
        pod = statefulSet.getSpec().getTemplate().getSpec();
        assertThat(pod.getContainers()).hasSize(1);
        container = pod.getContainers().get(0);
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyObjectPassesTheSchemasAndTheKustomizationListsEveryFile() throws IOException {
        assertThat(manifests).extracting(KubernetesSchema.Manifest::kind).containsExactlyInAnyOrder(
                "apps/v1 StatefulSet", "v1 Service", "v1 Service", "policy/v1 PodDisruptionBudget");
        Map<?, ?> kustomization = yaml(DIR.resolve("kustomization.yaml"));
        assertThat((List<Object>) kustomization.get("resources")).containsExactlyInAnyOrderElementsOf(
                manifestFiles().stream().map(p -> p.getFileName().toString()).toList());
    }

    @Test
    void theSchemaCheckRefusesUnknownFieldsMissingFieldsAndWrongTypes() throws IOException {
        Map<String, Object> sts = statefulSetYaml();
        podSpec(sts).put("terminationGracePeriod", 40);
        assertThatThrownBy(() -> KubernetesSchema.validate(sts))
                .hasMessageContaining("terminationGracePeriod").hasMessageContaining("V1PodSpec");

        Map<String, Object> nameless = statefulSetYaml();
        firstContainer(nameless).remove("name");
        assertThatThrownBy(() -> KubernetesSchema.validate(nameless)).hasMessageContaining("name");

        Map<String, Object> wordy = statefulSetYaml();
        spec(wordy).put("replicas", "one");
        assertThatThrownBy(() -> KubernetesSchema.validate(wordy)).hasMessageContaining("one");

        Map<String, Object> deployment = statefulSetYaml();
        deployment.put("kind", "Deployment");
        assertThatThrownBy(() -> KubernetesSchema.validate(deployment)).hasMessageContaining("no schema");
    }

    @Test
    void oneReplicaAndNeverTwoPodsOnOneClaim() {
        var spec = statefulSet.getSpec();
        assertThat(spec.getReplicas()).as("one replica until cluster mode").isEqualTo(1);
        assertThat(spec.getPodManagementPolicy()).isEqualTo("OrderedReady");
        assertThat(spec.getUpdateStrategy().getType()).isEqualTo("RollingUpdate");
        // maxUnavailable (alpha) would let a rolling update start a pod before its predecessor is gone.
        assertThat(spec.getUpdateStrategy().getRollingUpdate()).isNull();
        assertThat(spec.getPersistentVolumeClaimRetentionPolicy().getWhenDeleted()).isEqualTo("Retain");
        assertThat(spec.getPersistentVolumeClaimRetentionPolicy().getWhenScaled()).isEqualTo("Retain");

        assertThat(spec.getVolumeClaimTemplates()).hasSize(1);
        V1PersistentVolumeClaim claim = spec.getVolumeClaimTemplates().get(0);
        assertThat(claim.getSpec().getAccessModes()).containsExactly("ReadWriteOncePod");
        V1VolumeMount data = mount(claim.getMetadata().getName());
        assertThat(data.getMountPath()).isEqualTo(dockerfileEnv("KV_DATA_DIR"));
        assertThat(data.getReadOnly()).isNotEqualTo(Boolean.TRUE);
    }

    @Test
    void probesUseTheActuatorGroupsOnTheServicePort() {
        V1ContainerPort http = container.getPorts().get(0);
        assertThat(http.getContainerPort()).isEqualTo(Integer.parseInt(dockerfileEnv("SERVER_PORT")));
        assertProbe(container.getLivenessProbe(), "/actuator/health/liveness", http.getName());
        assertProbe(container.getReadinessProbe(), "/actuator/health/readiness", http.getName());
        assertProbe(container.getStartupProbe(), "/actuator/health/liveness", http.getName());
        // The startup probe allows minutes for replaying a large log; liveness then takes over.
        V1Probe startup = container.getStartupProbe();
        assertThat(startup.getPeriodSeconds() * startup.getFailureThreshold()).isGreaterThanOrEqualTo(120);
    }

    @Test
    void gracePeriodCoversPreStopAndTheShutdownTimeoutAndMatchesCompose() throws IOException {
        Duration shutdown = DurationStyle.detectAndParse(
                applicationProperties().getProperty("spring.lifecycle.timeout-per-shutdown-phase"));
        List<String> preStop = container.getLifecycle().getPreStop().getExec().getCommand();
        assertThat(preStop.get(0)).isEqualTo("sleep");
        long grace = pod.getTerminationGracePeriodSeconds();
        // preStop, then Tomcat's graceful phase, then the store forces and closes its log (seconds at most).
        assertThat(grace).isGreaterThanOrEqualTo(Long.parseLong(preStop.get(1)) + shutdown.toSeconds() + 10);
        Map<?, ?> compose = (Map<?, ?>) ((Map<?, ?>) yaml(Path.of("docker-compose.yml")).get("services"))
                .get("kv-store");
        assertThat(Duration.ofSeconds(grace)).isEqualTo(
                DurationStyle.detectAndParse(compose.get("stop_grace_period").toString()));
    }

    @Test
    void memoryLimitLeavesRoomBesidesTheHeapTheDockerfileSizes() {
        Matcher m = Pattern.compile("-XX:MaxRAMPercentage=(\\d+(?:\\.\\d+)?)")
                .matcher(dockerfileEnv("JAVA_TOOL_OPTIONS"));
        assertThat(m.find()).as("MaxRAMPercentage in the Dockerfile").isTrue();
        double heapShare = Double.parseDouble(m.group(1)) / 100;
        assertThat(container.getEnv()).extracting(V1EnvVar::getName).doesNotContain("JAVA_TOOL_OPTIONS");

        Map<String, Quantity> limits = container.getResources().getLimits();
        Map<String, Quantity> requests = container.getResources().getRequests();
        BigDecimal limit = limits.get("memory").getNumber();
        assertThat(requests.get("memory").getNumber()).as("memory request = limit").isEqualByComparingTo(limit);
        long heap = (long) (limit.longValue() * heapShare);
        assertThat(limit.longValue() - heap).as("bytes left beside the heap").isGreaterThanOrEqualTo(NON_HEAP_BYTES);
        assertThat(heap).as("heap").isGreaterThanOrEqualTo(512L << 20);
    }

    @Test
    void tokensComeFromASecretAndNothingTurnsProtectionOff() {
        List<V1EnvVar> tokens = container.getEnv().stream()
                .filter(e -> e.getName().matches("KV_SECURITY_TOKENS_\\d+_(TOKEN|SHA256)")).toList();
        assertThat(tokens).isNotEmpty().allSatisfy(e -> {
            assertThat(e.getValue()).as(e.getName() + " inline").isNull();
            assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("kv-store-tokens");
            assertThat(e.getValueFrom().getSecretKeyRef().getOptional()).isNotEqualTo(Boolean.TRUE);
        });
        assertThat(container.getEnv()).extracting(V1EnvVar::getName)
                .doesNotContain("KV_SECURITY_PROTECTED_MODE").noneMatch(n -> n.startsWith("KV_CLUSTER"));
        assertThat(pod.getEnableServiceLinks()).as("no service variables bound as configuration").isFalse();
        assertThat(pod.getAutomountServiceAccountToken()).isFalse();
    }

    @Test
    void runsAsTheImagesUserWithAReadOnlyRootAndNoPrivileges() {
        V1PodSecurityContext podSecurity = pod.getSecurityContext();
        assertThat(podSecurity.getRunAsNonRoot()).isTrue();
        assertThat(podSecurity.getRunAsUser()).isPositive();
        assertThat(podSecurity.getFsGroup()).isEqualTo(podSecurity.getRunAsGroup());
        assertThat(dockerfile()).containsPattern("(?m)^USER kv$");

        V1SecurityContext security = container.getSecurityContext();
        assertThat(security.getReadOnlyRootFilesystem()).isTrue();
        assertThat(security.getAllowPrivilegeEscalation()).isFalse();
        assertThat(security.getCapabilities().getDrop()).containsExactly("ALL");
        // With a read-only root, /tmp (Tomcat's work directory) must be a volume.
        V1VolumeMount tmp = mount("tmp");
        assertThat(tmp.getMountPath()).isEqualTo("/tmp");
        assertThat(pod.getVolumes()).filteredOn(v -> v.getName().equals("tmp"))
                .singleElement().satisfies(v -> assertThat(v.getEmptyDir()).isNotNull());
    }

    @Test
    void servicesAndTheBudgetSelectThePods() {
        Map<String, String> podLabels = statefulSet.getSpec().getTemplate().getMetadata().getLabels();
        assertThat(podLabels).containsAllEntriesOf(statefulSet.getSpec().getSelector().getMatchLabels());
        List<V1Service> services = manifests.stream().filter(m -> m.model() instanceof V1Service)
                .map(m -> m.as(V1Service.class)).toList();
        for (V1Service service : services) {
            assertThat(podLabels).as(service.getMetadata().getName()).containsAllEntriesOf(
                    service.getSpec().getSelector());
            for (V1ServicePort port : service.getSpec().getPorts()) {
                assertThat(port.getTargetPort()).isEqualTo(new IntOrString(container.getPorts().get(0).getName()));
            }
        }
        V1Service headless = services.stream()
                .filter(s -> s.getMetadata().getName().equals(statefulSet.getSpec().getServiceName()))
                .findFirst().orElseThrow(() -> new AssertionError("no Service named by spec.serviceName"));
        assertThat(headless.getSpec().getClusterIP()).isEqualTo("None");
        assertThat(headless.getSpec().getPublishNotReadyAddresses()).isTrue();

        V1PodDisruptionBudget budget = only(V1PodDisruptionBudget.class);
        assertThat(podLabels).containsAllEntriesOf(budget.getSpec().getSelector().getMatchLabels());
        assertThat(budget.getSpec().getMaxUnavailable()).isEqualTo(new IntOrString(1));
        assertThat(budget.getSpec().getUnhealthyPodEvictionPolicy()).isEqualTo("AlwaysAllow");
    }

    @Test
    void reservesAMarkedPlaceForClusterModesPeerList() throws IOException {
        String text = Files.readString(DIR.resolve("statefulset.yaml"));
        assertThat(text).contains("cluster mode: reserved")
                .contains("kv-store-<ordinal>." + statefulSet.getSpec().getServiceName());
    }

    private static void assertProbe(V1Probe probe, String path, String port) {
        assertThat(probe).as(path).isNotNull();
        assertThat(probe.getHttpGet().getPath()).isEqualTo(path);
        assertThat(probe.getHttpGet().getPort()).isEqualTo(new IntOrString(port));
    }

    private static V1VolumeMount mount(String volume) {
        return container.getVolumeMounts().stream().filter(v -> v.getName().equals(volume)).findFirst()
                .orElseThrow(() -> new AssertionError("no mount of " + volume));
    }

    private static <T> T only(Class<T> type) {
        List<T> found = manifests.stream().filter(m -> type.isInstance(m.model())).map(m -> m.as(type)).toList();
        assertThat(found).as(type.getSimpleName()).hasSize(1);
        return found.get(0);
    }

    private static List<Path> manifestFiles() throws IOException {
        try (Stream<Path> files = Files.list(DIR)) {
            return files.filter(p -> p.toString().endsWith(".yaml"))
                    .filter(p -> !p.getFileName().toString().equals("kustomization.yaml")).sorted().toList();
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> statefulSetYaml() throws IOException {
        return (Map<String, Object>) yaml(DIR.resolve("statefulset.yaml"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> spec(Map<String, Object> sts) {
        return (Map<String, Object>) sts.get("spec");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> podSpec(Map<String, Object> sts) {
        return (Map<String, Object>) ((Map<String, Object>) spec(sts).get("template")).get("spec");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> firstContainer(Map<String, Object> sts) {
        return ((List<Map<String, Object>>) podSpec(sts).get("containers")).get(0);
    }

    private static Map<?, ?> yaml(Path file) throws IOException {
        try (Reader in = Files.newBufferedReader(file)) {
            return new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
        }
    }

    private static Properties applicationProperties() throws IOException {
        Properties p = new Properties();
        try (InputStream in = KubernetesManifestsTest.class.getResourceAsStream("/application.properties")) {
            p.load(in);
        }
        return p;
    }

    private static String dockerfile() {
        try {
            return Files.readString(Path.of("Dockerfile"));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A variable of the runtime stage's {@code ENV}, which may span lines joined by backslashes. */
    private static String dockerfileEnv(String name) {
        String runtime = dockerfile().substring(dockerfile().lastIndexOf("\nFROM "));
        Map<String, String> env = new LinkedHashMap<>();
        Matcher block = Pattern.compile("(?m)^ENV ((?:.*\\\\\\n)*.*)$").matcher(runtime);
        while (block.find()) {
            Matcher pair = Pattern.compile("(\\w+)=(\"[^\"]*\"|\\S+)").matcher(block.group(1));
            while (pair.find()) {
                env.put(pair.group(1), pair.group(2).replaceAll("^\"|\"$", ""));
            }
        }
        assertThat(env).as("Dockerfile ENV").containsKey(name);
        return env.get(name);
    }
}
