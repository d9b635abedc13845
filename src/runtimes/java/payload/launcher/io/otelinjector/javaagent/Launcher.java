package io.otelinjector.javaagent;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ByteArrayOutputStream;
import java.lang.instrument.Instrumentation;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;

/**
 * otel-injector's pre-check in front of the upstream OpenTelemetry Java agent (the jar next to this one,
 * unmodified). JAVA_TOOL_OPTIONS loads this agent first; it loads the upstream agent only when no other
 * -javaagent is on the JVM's command line (/proc/self/cmdline) or in JDK_JAVA_OPTIONS, where the webhook
 * cannot see it (the image's entrypoint, a start script). Otherwise it prints one `otel-injector:` line and
 * the JVM starts as if we were not there. It steps aside the same way when the app's class path carries the
 * OpenTelemetry SDK or the Spring Boot starter (AppClassPath), unless OTEL_INJECTOR_JAVA_APP_SDK=instrument.
 * Any failure of its own: one line, the app starts uninstrumented.
 * Compiled for Java 7, so that a JVM older than the upstream agent's floor (Java 8) loads it and gets one line
 * instead of a failed start; nothing here touches java.util.logging or JMX.
 */
public final class Launcher {
  static final String AGENT_FILE = "opentelemetry-javaagent.jar";
  static final String AGENT_CLASS = "io.opentelemetry.javaagent.OpenTelemetryAgent";
  static final String APP_SDK_ENV = "OTEL_INJECTOR_JAVA_APP_SDK";

  private Launcher() {}

  public static void premain(String args, Instrumentation inst) {
    try {
      String spec = System.getProperty("java.specification.version");
      if (!supported(spec)) {
        line("java: Java " + spec + " is older than the OpenTelemetry agent's floor (Java 8): the app starts without it");
        return;
      }
      File self = selfJar();
      String other = otherAgent(self);
      if (other != null) {
        line("java: another -javaagent is loaded (" + other + "): the OpenTelemetry agent steps aside");
        return;
      }
      if (!"instrument".equals(System.getenv(APP_SDK_ENV))) {
        String sdk = AppClassPath.ownSdk(System.getProperty("java.class.path"));
        if (sdk != null) {
          line("java: the app carries its own OpenTelemetry SDK (" + sdk + "): the OpenTelemetry agent steps aside ("
              + APP_SDK_ENV + "=instrument loads it anyway)");
          return;
        }
      }
      File agent = new File(self.getParentFile(), AGENT_FILE);
      inst.appendToSystemClassLoaderSearch(new JarFile(agent, false));
      Class<?> main = Class.forName(AGENT_CLASS, false, ClassLoader.getSystemClassLoader());
      main.getMethod("premain", String.class, Instrumentation.class).invoke(null, args, inst);
    } catch (Throwable err) {
      line("java: the OpenTelemetry agent was not loaded (" + err + "); the app starts without it");
    }
  }

  /** Java 8 or newer: "1.8", "9", "17", "25" (1.x before 9, the major number after). */
  static boolean supported(String spec) {
    if (spec == null) return false;
    String major = spec.startsWith("1.") ? spec.substring(2) : spec;
    int dot = major.indexOf('.');
    try {
      return Integer.parseInt(dot < 0 ? major : major.substring(0, dot)) >= 8;
    } catch (NumberFormatException err) {
      return false;
    }
  }

  static void line(String text) {
    System.err.println("otel-injector: " + text);
  }

  /** This jar (from the URL of this class: jar:file:/path/x.jar!/io/...). */
  static File selfJar() throws Exception {
    String url = String.valueOf(Launcher.class.getResource("Launcher.class"));
    int bang = url.indexOf("!/");
    if (!url.startsWith("jar:file:") || bang < 0) throw new IllegalStateException("not loaded from a jar: " + url);
    return new File(new java.net.URI(url.substring(4, bang)));
  }

  /** The file name of the first -javaagent that is neither this jar nor the agent next to it, or null. */
  static String otherAgent(File self) throws IOException {
    List<String> words = new ArrayList<String>();
    File cmdline = new File("/proc/self/cmdline");
    if (cmdline.canRead()) {
      for (String word : new String(readAll(cmdline), "UTF-8").split("\u0000")) words.add(word);
    }
    String jdkOptions = System.getenv("JDK_JAVA_OPTIONS");
    if (jdkOptions != null) {
      for (String word : jdkOptions.trim().split("\\s+")) words.add(word);
    }
    String ours = self.getCanonicalPath();
    String upstream = new File(self.getParentFile(), AGENT_FILE).getCanonicalPath();
    for (String word : words) {
      if (!word.startsWith("-javaagent:")) continue;
      String jar = word.substring("-javaagent:".length());
      int eq = jar.indexOf('=');
      if (eq >= 0) jar = jar.substring(0, eq);
      String path = new File(jar).getCanonicalPath();
      if (!path.equals(ours) && !path.equals(upstream)) return new File(jar).getName();
    }
    return null;
  }

  static byte[] readAll(File file) throws IOException {
    InputStream in = new FileInputStream(file);
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buf = new byte[4096];
      for (int n; (n = in.read(buf)) > 0; ) out.write(buf, 0, n);
      return out.toByteArray();
    } finally {
      in.close();
    }
  }
}
