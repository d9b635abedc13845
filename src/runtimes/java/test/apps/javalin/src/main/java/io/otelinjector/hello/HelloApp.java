package io.otelinjector.hello;

import io.javalin.Javalin;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Javalin server: PORT and HOST (default 127.0.0.1) from the environment; GET /health, GET /hello/{name},
 * and GET /work, which with DOWNSTREAM_URL set first calls DOWNSTREAM_URL/work through java.net.http.HttpClient
 * (a trace across services: Node -> Java -> Python in the node suite).
 */
public final class HelloApp {
  private static final Logger log = LoggerFactory.getLogger(HelloApp.class);
  private static final HttpClient client = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  private HelloApp() {}

  public static void main(String[] args) {
    int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
    String host = System.getenv().getOrDefault("HOST", "127.0.0.1");
    String downstream = System.getenv().getOrDefault("DOWNSTREAM_URL", "");
    Javalin app = Javalin.create();
    app.get("/health", ctx -> ctx.result("ok"));
    app.get("/hello/{name}", ctx -> {
      log.info("hello {}", ctx.pathParam("name"));
      ctx.result("hello " + ctx.pathParam("name"));
    });
    app.get("/work", ctx -> {
      if (downstream.isEmpty()) {
        log.info("work");
        ctx.result("work done by java");
        return;
      }
      HttpRequest request = HttpRequest.newBuilder(URI.create(downstream + "/work")).timeout(Duration.ofSeconds(10)).GET().build();
      HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
      log.info("work: downstream answered {}", response.statusCode());
      ctx.result("java: downstream " + response.statusCode() + ": " + response.body());
    });
    app.start(host, port);
  }
}
