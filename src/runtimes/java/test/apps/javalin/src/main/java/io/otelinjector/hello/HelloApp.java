package io.otelinjector.hello;

import io.javalin.Javalin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A Javalin server: PORT from the environment, GET /health and GET /hello/{name}. */
public final class HelloApp {
  private static final Logger log = LoggerFactory.getLogger(HelloApp.class);

  private HelloApp() {}

  public static void main(String[] args) {
    int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
    Javalin app = Javalin.create();
    app.get("/health", ctx -> ctx.result("ok"));
    app.get("/hello/{name}", ctx -> {
      log.info("hello {}", ctx.pathParam("name"));
      ctx.result("hello " + ctx.pathParam("name"));
    });
    app.start("127.0.0.1", port);
  }
}
