package io.otelinjector.javaagent;

import java.io.File;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Pattern;

/**
 * Whether the app carries its own OpenTelemetry SDK or the Spring Boot starter, read from its class path at
 * premain without loading any of its classes: the JVM's class path (a directory, a jar, the jars a
 * `lib/*` wildcard expanded to), the jars a jar's manifest `Class-Path` names, and the libraries nested in a
 * Spring Boot or WAR archive (`BOOT-INF/lib/`, `WEB-INF/lib/`). A library is recognised by its file name
 * (`opentelemetry-sdk-1.55.0.jar`) or, for an uber jar or a directory, by one of its classes being there.
 * An app carrying the SDK sets up its own telemetry (the SDK does nothing unless set up; frameworks that
 * bring it, such as Spring Boot's OpenTelemetry tracing bridge, set it up): the agent would add a second
 * pipeline and second spans for the same requests.
 */
final class AppClassPath {
  /** File names of the SDK and the Spring Boot starter, at any version. */
  static final Pattern SDK_JAR = Pattern.compile("opentelemetry-(sdk|spring-boot-starter|spring-boot-autoconfigure)-\\d[^/]*\\.jar");
  /** Their classes, for an uber jar (maven-shade) or classes in a directory. */
  static final String[] SDK_CLASSES = {
    "io/opentelemetry/sdk/OpenTelemetrySdk.class",
    "io/opentelemetry/instrumentation/spring/autoconfigure/OpenTelemetryAutoConfiguration.class",
  };
  static final String[] NESTED_LIBS = {"BOOT-INF/lib/", "WEB-INF/lib/", "WEB-INF/lib-provided/"};
  static final String[] NESTED_CLASSES = {"BOOT-INF/classes/", "WEB-INF/classes/"};
  /** Enough for any real class path; a bound so that a manifest cycle or a huge path cannot stall the start. */
  static final int MAX_ENTRIES = 4096;

  private AppClassPath() {}

  /** Where the app's own SDK was found (a file name, `x.jar!/BOOT-INF/lib/y.jar`), or null. */
  static String ownSdk(String classPath) throws IOException {
    Deque<File> todo = new ArrayDeque<File>();
    if (classPath != null) {
      for (String part : classPath.split(Pattern.quote(File.pathSeparator))) {
        if (part.length() > 0) todo.add(new File(part));
      }
    }
    Set<String> seen = new HashSet<String>();
    while (!todo.isEmpty() && seen.size() < MAX_ENTRIES) {
      File entry = todo.poll();
      if (!seen.add(entry.getAbsolutePath())) continue;
      if (entry.isDirectory()) {
        for (String cls : SDK_CLASSES) {
          if (new File(entry, cls).isFile()) return entry.getName() + "/" + cls;
        }
      } else if (entry.isFile()) {
        if (SDK_JAR.matcher(entry.getName()).matches()) return entry.getName();
        String found = inJar(entry, todo);
        if (found != null) return found;
      }
    }
    return null;
  }

  private static String inJar(File file, Deque<File> todo) throws IOException {
    JarFile jar;
    try {
      jar = new JarFile(file, false);
    } catch (IOException notAJar) {
      return null; // the JVM ignores a class path entry it cannot open; so do we
    }
    try {
      for (String cls : SDK_CLASSES) {
        if (jar.getEntry(cls) != null) return file.getName() + "!/" + cls;
        for (String prefix : NESTED_CLASSES) {
          if (jar.getEntry(prefix + cls) != null) return file.getName() + "!/" + prefix + cls;
        }
      }
      if (jar.getEntry(NESTED_LIBS[0]) != null || jar.getEntry(NESTED_LIBS[1]) != null || jar.getEntry(NESTED_LIBS[2]) != null) {
        for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
          String name = e.nextElement().getName();
          for (String prefix : NESTED_LIBS) {
            if (name.startsWith(prefix) && SDK_JAR.matcher(name.substring(prefix.length())).matches()) {
              return file.getName() + "!/" + name;
            }
          }
        }
      }
      Manifest manifest = jar.getManifest();
      String more = manifest == null ? null : manifest.getMainAttributes().getValue(Attributes.Name.CLASS_PATH);
      if (more != null) {
        for (String ref : more.trim().split("\\s+")) {
          if (ref.length() > 0 && !ref.contains(":")) todo.add(new File(file.getAbsoluteFile().getParentFile(), ref.replace('/', File.separatorChar)));
        }
      }
      return null;
    } finally {
      jar.close();
    }
  }
}
