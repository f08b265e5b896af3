package nl.signalen.localsearch;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.logging.log4j.LogManager;
import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.geo.GeoModulePlugin;
import org.opensearch.index.mapper.MapperExtrasPlugin;
import org.opensearch.index.reindex.ReindexPlugin;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.painless.PainlessPlugin;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * One embedded OpenSearch 2.19 node for development and integration tests.
 *
 * <pre>
 * LocalNode --state-dir DIR --http-port PORT [--transport-port PORT|RANGE]
 *           [--cluster-name NAME] [-Ename=value ...]
 * </pre>
 *
 * The node keeps its home under DIR/home and its indices under DIR/data. It is started
 * without the distribution's bootstrap (no bootstrap checks, no security manager), which
 * a throwaway local node does not need. SIGTERM closes it cleanly.
 */
public final class LocalNode {

    /** Modules a distribution would load from modules/, here taken from the classpath. */
    private static final List<Class<? extends Plugin>> PLUGINS = List.of(
        Netty4Plugin.class,         // HTTP REST layer and transport
        CommonAnalysisPlugin.class, // language analyzers, e.g. "dutch"
        PainlessPlugin.class,       // painless scripts
        ReindexPlugin.class,        // _reindex, _update_by_query, _delete_by_query
        GeoModulePlugin.class,      // geo_shape, geohash_grid/geotile_grid aggregations
        MapperExtrasPlugin.class    // scaled_float, search_as_you_type, rank_feature, ...
    );

    /** Node's constructor that takes classpath plugins is protected, as for the test framework's MockNode. */
    private static final class EmbeddedNode extends Node {
        EmbeddedNode(Environment environment) {
            super(environment, PLUGINS, true);
        }
    }

    private LocalNode() {}

    public static void main(String[] args) throws Exception {
        Settings settings = parse(args);
        Files.createDirectories(Path.of(settings.get("path.home")));
        Environment environment = InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), null, () -> "local");

        Node node = new EmbeddedNode(environment);
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            close(node);
            closed.countDown();
        }, "local-node-shutdown"));
        try {
            node.start();
        } catch (Exception e) {
            e.printStackTrace();
            System.exit(1); // runs the shutdown hook, which closes the node
        }
        // OpenSearch's own threads are daemons: keep the JVM alive until SIGTERM.
        closed.await();
    }

    private static void close(Node node) {
        try {
            node.close();
            if (!node.awaitClose(10, TimeUnit.SECONDS)) {
                System.err.println("node did not close within 10 s");
            }
        } catch (Exception e) {
            e.printStackTrace();
        } finally {
            LogManager.shutdown();
        }
    }

    static Settings parse(String[] args) {
        Path stateDir = null;
        String httpPort = null;
        String transportPort = "9300-9400";
        String clusterName = "signalen-local";
        Settings.Builder overrides = Settings.builder();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--state-dir" -> stateDir = Path.of(value(args, ++i, arg)).toAbsolutePath().normalize();
                case "--http-port" -> httpPort = value(args, ++i, arg);
                case "--transport-port" -> transportPort = value(args, ++i, arg);
                case "--cluster-name" -> clusterName = value(args, ++i, arg);
                default -> {
                    int eq = arg.indexOf('=');
                    if (!arg.startsWith("-E") || eq < 3) {
                        throw usage("unknown argument: " + arg);
                    }
                    overrides.put(arg.substring(2, eq), arg.substring(eq + 1));
                }
            }
        }
        if (stateDir == null || httpPort == null) {
            throw usage("--state-dir and --http-port are required");
        }
        return Settings.builder()
            .put("path.home", stateDir.resolve("home").toString())
            .put("path.data", stateDir.resolve("data").toString())
            .put("path.logs", stateDir.resolve("logs").toString())
            .put("cluster.name", clusterName)
            .put("node.name", "local")
            .put("discovery.type", "single-node")
            .put("network.host", "127.0.0.1")
            .put("http.port", httpPort)
            .put("transport.port", transportPort)
            // a nearly full dev disk must not make indices read-only (flood stage) or unassigned
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .put(overrides.build())
            .build();
    }

    private static String value(String[] args, int i, String name) {
        if (i >= args.length) {
            throw usage(name + " needs a value");
        }
        return args[i];
    }

    private static IllegalArgumentException usage(String problem) {
        return new IllegalArgumentException(problem + "\nusage: LocalNode --state-dir DIR --http-port PORT"
            + " [--transport-port PORT|RANGE] [--cluster-name NAME] [-Ename=value ...]");
    }
}
