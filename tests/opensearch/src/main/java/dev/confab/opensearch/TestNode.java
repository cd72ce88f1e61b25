package dev.confab.opensearch;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.transport.Netty4Plugin;

/**
 * A single-node OpenSearch for Confab's tests: {@code TestNode <http-port> <data-dir>}.
 *
 * <p>The real server, started in-process from the Maven Central jars (no tarball, no Docker, no
 * security plugin: plain HTTP on 127.0.0.1). Prints {@code READY <port>} once the node has
 * started and blocks until it is killed; the shutdown hook closes the node so its data directory
 * can be reused by a restart (the outage test stops and restarts a node on the same data).
 */
public final class TestNode extends Node {
    private TestNode(Environment environment) {
        // Netty4Plugin is the only source of the HTTP and transport layers.
        super(environment, List.of(Netty4Plugin.class), true);
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: TestNode <http-port> <data-dir>");
            System.exit(2);
        }
        String port = args[0];
        Path home = Path.of(args[1]).toAbsolutePath();
        Path config = Files.createDirectories(home.resolve("config"));
        Settings settings = Settings.builder()
                .put("cluster.name", "confab-test")
                .put("node.name", "confab-test-" + port)
                .put("path.home", home.toString())
                .put("path.data", home.resolve("data").toString())
                .put("path.logs", home.resolve("logs").toString())
                .put("discovery.type", "single-node")
                .put("network.host", "127.0.0.1")
                .put("http.port", port)
                .put("transport.port", "0")
                .put("http.type", "netty4")
                .put("transport.type", "netty4")
                .put("cluster.routing.allocation.disk.threshold_enabled", false)
                .put("action.auto_create_index", true)
                .build();
        Environment environment =
                InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), config, () -> "confab-test-" + port);
        TestNode node = new TestNode(environment);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        }));
        node.start();
        System.out.println("READY " + port);
        System.out.flush();
        // The node's own threads are daemons: keep the JVM alive until it is told to stop.
        stopped.await();
    }
}
